using Baton.Numerics;

namespace Baton.Layers;

/// <summary>
/// One layer's weights packed for its streaming step, owned by one <see cref="StreamState"/>: W_ihᵀ [I, G·H] and
/// W_hhᵀ [S, G·H] (and W_hrᵀ [H, P] for an LSTM with projection) in the recurrent GEMM's panel layout, and the bias
/// the cell adds to x·W_ihᵀ. A step reads these contiguous panels instead of the PyTorch rows: about a third faster
/// where the weights sit in L2, and each element is computed as in <see cref="RecurrentLayer.Forward"/> (bit for bit up
/// to 384 inputs, the input GEMM's K slice). The layer packs them again when <see cref="Parameters.Version"/> has moved.
/// </summary>
internal sealed class StepWeights(int inputSize, int stateSize, int gateWidth, int hiddenSize, int projSize)
{
    /// <summary>W_ihᵀ, K = I, N = G·H.</summary>
    public PackedMatrix Ih { get; } = new(inputSize, gateWidth);

    /// <summary>W_hhᵀ, K = S, N = G·H.</summary>
    public PackedMatrix Hh { get; } = new(stateSize, gateWidth);

    /// <summary>W_hrᵀ, K = H, N = P (LSTM with projection only).</summary>
    public PackedMatrix? Hr { get; } = projSize > 0 ? new PackedMatrix(hiddenSize, projSize) : null;

    /// <summary>[G·H] the bias added to x·W_ihᵀ (the layer's own sum of b_ih and b_hh).</summary>
    public float[] Bias { get; } = new float[gateWidth];

    /// <summary>The <see cref="Parameters.Version"/> these were packed from; −1 before the first packing.</summary>
    public long Version { get; set; } = -1;
}
