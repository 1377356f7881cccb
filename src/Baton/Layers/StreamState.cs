namespace Baton.Layers;

/// <summary>
/// The caller-owned state of a batch of independent streams advanced one step at a time by
/// <see cref="RecurrentStack.Step"/>: h per layer [L, B, S], c per layer [L, B, H] (LSTM), and each layer's step cache
/// (<see cref="RecurrentLayer.CreateStepCache"/>: the buffers a step needs), so that stepping allocates nothing and several
/// threads can step their own states on one stack.
/// <para>
/// The step caches also keep the weights packed in the GEMM's panel layout (as much memory as the weights again): packed
/// at the first step, and again at the first step after <see cref="Parameters.Version"/> moves. Baton's own writers
/// (optimizers, initialisation, loading) move it; after writing parameter values directly, call
/// <see cref="Parameters.MarkChanged"/>.
/// </para>
/// </summary>
internal sealed class StreamState
{
    private readonly float[] h;
    private readonly float[] c;

    internal StreamState(RecurrentStack stack, int batch)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(batch, 1, nameof(batch));
        Stack = stack;
        Batch = batch;
        int L = stack.Options.Layers;
        h = new float[L * batch * stack.StateSize];
        c = new float[stack.HasCellState ? L * batch * stack.Options.HiddenSize : 0];
        int width = Math.Max(stack.Options.InputSize, stack.OutputSize);
        LayerOutA = new float[batch * width];
        LayerOutB = new float[batch * width];
        Caches = new LayerCache[L];
        for (int l = 0; l < L; l++)
            Caches[l] = stack.Layer(l).CreateStepCache(batch);
    }

    internal RecurrentStack Stack { get; }

    /// <summary>Number of streams B.</summary>
    public int Batch { get; }

    /// <summary>Hidden state h, [L, B, StateSize]; read or set it between steps.</summary>
    public Span<float> H => h;

    /// <summary>Cell state c, [L, B, HiddenSize] for LSTM, empty otherwise.</summary>
    public Span<float> C => c;

    /// <summary>Sets h and c to zero.</summary>
    public void Reset()
    {
        Array.Clear(h);
        Array.Clear(c);
    }

    internal float[] LayerOutA { get; }   // [B, max width] ping-pong buffer between layers
    internal float[] LayerOutB { get; }   // [B, max width]
    internal LayerCache[] Caches { get; }  // per layer: its step cache (weights packed for the step, packed at the first step; the step's buffers)
}
