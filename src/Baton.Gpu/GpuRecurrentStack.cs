using System.Runtime.InteropServices;
using Baton.Layers;
using ILGPU;
using ILGPU.Runtime;

namespace Baton.Gpu;

/// <summary>
/// A unidirectional LSTM, GRU, Elman or minGRU stack on an accelerator, forward and backward through time (PyTorch's equations and
/// names, <c>{prefix}weight_ih_l{k}</c> ...; minGRU: <c>{prefix}layers.{k}.to_hidden_and_gate.weight|bias</c>, its input
/// projection one product, its recurrence h_t = (1 − z_t) h_{t−1} + z_t g(k_t) one chunked scan over T forward and one in reverse
/// for the gradient, as <see cref="GpuLinearScan"/>). The weights and their gradients are read from and accumulated into the caller's
/// flat device blocks at the offsets of the host's <see cref="Parameters"/>. Per layer: the input projection of all T steps is
/// one product; each step is one recurrent product and one cell kernel; the weight gradients of all steps are one product each.
/// The carried state h0 (c0) lives in slot 0 of each layer's state buffer. Buffers hold <c>maxT</c> steps of <c>maxB</c> streams.
/// Streams may have their own lengths (<see cref="SetLengths"/>): past its length a stream holds its state (slot t + 1 = slot t) and
/// passes its state gradient through unchanged, so slot T holds each stream's state at its own last step, as the CPU's hn.
/// </summary>
internal sealed class GpuRecurrentStack : IDisposable
{
    private sealed class Layer
    {
        public required int In;            // input width I_l
        public required ParameterTensor WeightIh, BiasIh;
        public required ParameterTensor? WeightHh, BiasHh;                  // null for minGRU
        public required MemoryBuffer1D<float, Stride1D.Dense> Gx;      // [T, B, G·H] x W_ihᵀ + b_ih
        public required MemoryBuffer1D<float, Stride1D.Dense>? Act;    // [T, B, 4H] gate activations (LSTM, GRU); minGRU: [2, T, B, H] the scan's a, b; null for Elman
        public required MemoryBuffer1D<float, Stride1D.Dense> States;  // [T + 1, B, H]: slot 0 the carried h0, slot t + 1 h_t
        public required MemoryBuffer1D<float, Stride1D.Dense>? Cells;  // [T + 1, B, H]: LSTM c, as States; null otherwise
        public required MemoryBuffer1D<float, Stride1D.Dense> DGates;  // [T, B, G·H] pre-activation gradients of the input side
        public required MemoryBuffer1D<float, Stride1D.Dense>? DGh;    // [T, B, G·H] of the recurrent side (GRU); null: DGates
        public required MemoryBuffer1D<float, Stride1D.Dense> DY;      // [T, B, H] gradient of this layer's output
    }

    private readonly GpuTrainKernelSet k;
    private readonly CellKind cell;
    private readonly bool relu;
    private readonly int L, H, G, maxB;
    private readonly Layer[] layers;
    private readonly MemoryBuffer1D<float, Stride1D.Dense> gh;                     // [B, G·H] h_{t−1} W_hhᵀ + b_hh
    private readonly GpuLinearScan? scan;                                          // minGRU's recurrence
    private readonly long maxRows;                                                 // maxT · maxB
    private readonly MemoryBuffer1D<float, Stride1D.Dense> dhNext, dcNext;         // [B, H] gradient into the previous step
    private readonly MemoryBuffer1D<int, Stride1D.Dense> lengths;                  // [B] steps of each stream (int.MaxValue: every step)
    private readonly int[] lengthsHost;                                            // [B]
    private bool limited;                                                          // some stream has a length below T
    private int T, B;

    /// <summary>Allocates the stack's buffers; <paramref name="cellName"/> is lstm, gru, rnn or rnn_relu.</summary>
    public GpuRecurrentStack(Accelerator acc, GpuTrainKernelSet kernels, string cellName, int inputSize, int hidden, int layerCount,
        Parameters parameters, string prefix, int maxT, int maxB)
    {
        ArgumentNullException.ThrowIfNull(acc);
        ArgumentNullException.ThrowIfNull(kernels);
        ArgumentNullException.ThrowIfNull(parameters);
        if (!CellKinds.TryParse(cellName, out cell, out var nonlinearity) || cell is not (CellKind.Lstm or CellKind.Gru or CellKind.Rnn or CellKind.MinGru))
            throw new NotSupportedException($"The device stack runs lstm, gru, rnn, rnn_relu and mingru, not '{cellName}'.");
        k = kernels;
        relu = nonlinearity == Nonlinearity.Relu;
        (L, H, G, this.maxB) = (layerCount, hidden, cell.Gates(), maxB);
        long rows = (long)maxT * maxB;
        maxRows = rows;
        bool min = cell == CellKind.MinGru;
        scan = min ? new GpuLinearScan(acc) : null;
        layers = new Layer[L];
        for (int l = 0; l < L; l++)
        {
            string module = $"{prefix}layers.{l}.{MinGru.LinearName}.";
            layers[l] = new Layer
            {
                In = l == 0 ? inputSize : H,
                WeightIh = parameters[min ? module + "weight" : $"{prefix}weight_ih_l{l}"],
                WeightHh = min ? null : parameters[$"{prefix}weight_hh_l{l}"],
                BiasIh = parameters[min ? module + "bias" : $"{prefix}bias_ih_l{l}"],
                BiasHh = min ? null : parameters[$"{prefix}bias_hh_l{l}"],
                Gx = acc.Allocate1D<float>(rows * G * H),
                Act = cell == CellKind.Rnn ? null : acc.Allocate1D<float>(rows * (min ? 2 : 4) * H),
                States = acc.Allocate1D<float>((maxT + 1L) * maxB * H),
                Cells = cell == CellKind.Lstm ? acc.Allocate1D<float>((maxT + 1L) * maxB * H) : null,
                DGates = acc.Allocate1D<float>(rows * G * H),
                DGh = cell == CellKind.Gru ? acc.Allocate1D<float>(rows * G * H) : null,
                DY = acc.Allocate1D<float>(rows * H),
            };
        }
        gh = acc.Allocate1D<float>((long)maxB * G * H);
        dhNext = acc.Allocate1D<float>((long)maxB * H);
        dcNext = acc.Allocate1D<float>((long)maxB * H);
        lengths = acc.Allocate1D<int>(maxB);
        lengthsHost = new int[maxB];
        Array.Fill(lengthsHost, int.MaxValue);
        lengths.View.CopyFromCPU(lengthsHost);
        ResetState();
    }

    /// <summary>
    /// Sets the length of each stream for the following forward passes (<paramref name="steps"/> [B], each at least 1); empty:
    /// every stream runs every step.
    /// </summary>
    public void SetLengths(ReadOnlySpan<int> steps)
    {
        if (!steps.IsEmpty && cell == CellKind.MinGru)
            throw new NotSupportedException("The device's minGRU runs every stream over every step (no lengths) yet.");
        if (steps.IsEmpty)
        {
            if (!limited)
                return;
            Array.Fill(lengthsHost, int.MaxValue);
            limited = false;
        }
        else
        {
            if (steps.Length > maxB)
                throw new ArgumentException($"{steps.Length} lengths for at most {maxB} streams.", nameof(steps));
            Array.Fill(lengthsHost, int.MaxValue);
            steps.CopyTo(lengthsHost);
            limited = true;
        }
        lengths.View.CopyFromCPU(lengthsHost);
    }

    /// <summary>True for an LSTM (it carries c as well as h).</summary>
    public bool HasCellState => cell == CellKind.Lstm;

    /// <summary>The last layer's outputs h_1..h_T of the last forward: [T, B, H].</summary>
    public ArrayView<float> Output => layers[L - 1].States.View.SubView((long)B * H, (long)T * B * H);

    /// <summary>The last layer's state after the last forward: [B, H], each stream's at its own last step.</summary>
    public ArrayView<float> FinalState => layers[L - 1].States.View.SubView((long)T * B * H, (long)B * H);

    /// <summary>Where the caller writes the loss gradient with respect to <see cref="Output"/> before <see cref="Backward"/>: [T, B, H].</summary>
    public ArrayView<float> DOutput => layers[L - 1].DY.View.SubView(0, (long)T * B * H);

    /// <summary>The input of layer <paramref name="l"/>: the stack's input, or the states h_1..h_T of the layer below ([T, B, I_l]).</summary>
    private ArrayView<float> Input(int l, ArrayView<float> x) => l == 0 ? x : layers[l - 1].States.View.SubView((long)B * H, (long)T * B * H);

    /// <summary>Forward over <paramref name="x"/> [T, B, I] from the carried state (zero after <see cref="ResetState"/>).</summary>
    public void Forward(ArrayView<float> weights, ArrayView<float> x, int steps, int batch)
    {
        (T, B) = (steps, batch);
        int rows = T * B, block = B * H, gates = G * H;
        for (int l = 0; l < L; l++)
        {
            var layer = layers[l];
            k.Linear(rows * gates, Input(l, x), Slice(weights, layer.WeightIh), Slice(weights, layer.BiasIh), layer.Gx.View, gates, layer.In);
            if (cell == CellKind.MinGru)
            {
                var (a, b) = ScanCoefficients(layer);
                k.MinGruCoefficients(rows * H, layer.Gx.View, a, b, H);
                scan!.Forward(a, b, layer.States.View.SubView(0, block), layer.States.View.SubView(block, (long)rows * H), T, block);
                continue;
            }
            for (int t = 0; t < T; t++)
            {
                var hPrev = layer.States.View.SubView((long)t * block, block);
                var h = layer.States.View.SubView((long)(t + 1) * block, block);
                var gx = layer.Gx.View.SubView((long)t * B * gates, B * gates);
                k.Linear(B * gates, hPrev, Slice(weights, layer.WeightHh!), Slice(weights, layer.BiasHh!), gh.View, gates, H);
                switch (cell)
                {
                    case CellKind.Lstm:
                        k.LstmForward(block, gx, gh.View, hPrev, layer.Cells!.View.SubView((long)t * block, block), layer.Cells.View.SubView((long)(t + 1) * block, block),
                            h, layer.Act!.View.SubView((long)t * B * 4 * H, B * 4 * H), lengths.View, t, H);
                        break;
                    case CellKind.Gru:
                        k.GruForward(block, gx, gh.View, hPrev, h, layer.Act!.View.SubView((long)t * B * 4 * H, B * 4 * H), lengths.View, t, H);
                        break;
                    default:
                        k.RnnForward(block, gx, gh.View, hPrev, h, lengths.View, t, H, relu ? 1 : 0);
                        break;
                }
            }
        }
    }

    /// <summary>
    /// Backward of the last forward from the gradient in <see cref="DOutput"/>: accumulates (+=) into <paramref name="grads"/>;
    /// writes the input gradient into <paramref name="dx"/> [T, B, I] unless it is empty. No gradient flows into the carried state.
    /// </summary>
    public void Backward(ArrayView<float> weights, ArrayView<float> grads, ArrayView<float> x, ArrayView<float> dx)
    {
        int rows = T * B, block = B * H, gates = G * H;
        for (int l = L - 1; l >= 0; l--)
        {
            var layer = layers[l];
            var dGhAll = (layer.DGh ?? layer.DGates).View;
            if (cell == CellKind.MinGru)
            {
                // g_t = ∂L/∂h_t = dy_t + a_{t+1} g_{t+1} (in place of dy), then the gates' gradients from g and h_{t−1}.
                var (a, _) = ScanCoefficients(layer);
                var g = layer.DY.View.SubView(0, (long)rows * H);
                scan!.Backward(a, g, g, T, block);
                k.MinGruBackward(rows * H, layer.Gx.View, layer.States.View.SubView(0, (long)rows * H), g, layer.DGates.View, H);
            }
            else
            {
                BackwardThroughTime(weights, layer, dGhAll);
            }
            var input = Input(l, x);
            k.MatMul(gates * layer.In, layer.DGates.View, 1, gates, input, layer.In, 1, Slice(grads, layer.WeightIh), layer.In, rows, 1);
            k.ColumnSum(gates, layer.DGates.View, Slice(grads, layer.BiasIh), gates, rows);
            if (layer.WeightHh is { } weightHh && layer.BiasHh is { } biasHh)
            {
                var hPrevious = layer.States.View.SubView(0, (long)rows * H);
                k.MatMul(gates * H, dGhAll, 1, gates, hPrevious, H, 1, Slice(grads, weightHh), H, rows, 1);
                k.ColumnSum(gates, dGhAll, Slice(grads, biasHh), gates, rows);
            }
            ArrayView<float> dInput = dx;
            if (l > 0)
                dInput = layers[l - 1].DY.View;
            if (dInput.Length > 0)
                k.MatMul(rows * layer.In, layer.DGates.View, gates, 1, Slice(weights, layer.WeightIh), layer.In, 1, dInput, layer.In, gates, 0);
        }
    }

    /// <summary>minGRU: the scan's a and b of the last forward ([T, B, H] each) in the layer's coefficient buffer.</summary>
    private (ArrayView<float> A, ArrayView<float> B) ScanCoefficients(Layer layer)
    {
        long size = (long)T * B * H;
        return (layer.Act!.View.SubView(0, size), layer.Act.View.SubView(maxRows * H, size));
    }

    /// <summary>The step-by-step backward of an LSTM, GRU or Elman layer: the pre-activation gradients of every step into DGates (and DGh).</summary>
    private void BackwardThroughTime(ArrayView<float> weights, Layer layer, ArrayView<float> dGhAll)
    {
        int block = B * H, gates = G * H;
        dhNext.View.MemSetToZero();
        dcNext.View.MemSetToZero();
        for (int t = T - 1; t >= 0; t--)
        {
            var dy = layer.DY.View.SubView((long)t * block, block);
            var dGates = layer.DGates.View.SubView((long)t * B * gates, B * gates);
            var dGh = dGhAll.SubView((long)t * B * gates, B * gates);
            switch (cell)
            {
                case CellKind.Lstm:
                    k.LstmBackward(block, layer.Act!.View.SubView((long)t * B * 4 * H, B * 4 * H), layer.Cells!.View.SubView((long)t * block, block),
                        layer.Cells.View.SubView((long)(t + 1) * block, block), dy, dhNext.View, dcNext.View, dGates, lengths.View, t, H);
                    break;
                case CellKind.Gru:
                    k.GruBackward(block, layer.Act!.View.SubView((long)t * B * 4 * H, B * 4 * H), layer.States.View.SubView((long)t * block, block),
                        dy, dhNext.View, dGates, dGh, lengths.View, t, H);
                    break;
                default:
                    k.RnnBackward(block, layer.States.View.SubView((long)(t + 1) * block, block), dy, dhNext.View, dGates, lengths.View, t, H, relu ? 1 : 0);
                    break;
            }
            if (t > 0)   // no gradient into the carried h0 (truncated BPTT)
                k.MatMul(block, dGh, gates, 1, Slice(weights, layer.WeightHh!), H, 1, dhNext.View, H, gates, 1);
        }
    }

    private static ArrayView<float> Slice(ArrayView<float> block, ParameterTensor tensor) => block.SubView(tensor.Offset, tensor.Length);

    /// <summary>Zeroes the carried state.</summary>
    public void ResetState()
    {
        foreach (var layer in layers)
        {
            layer.States.View.SubView(0, (long)maxB * H).MemSetToZero();
            layer.Cells?.View.SubView(0, (long)maxB * H).MemSetToZero();
        }
    }

    /// <summary>Makes the final state of the last forward the carried state.</summary>
    public void CarryState()
    {
        int block = B * H;
        foreach (var layer in layers)
        {
            k.Copy(block, layer.States.View.SubView((long)T * block, block), layer.States.View.SubView(0, block));
            if (layer.Cells is { } cells)
                k.Copy(block, cells.View.SubView((long)T * block, block), cells.View.SubView(0, block));
        }
    }

    /// <summary>Uploads the carried state h0, c0 ([L, maxB, H]; either may be empty: left as it is).</summary>
    public void PushState(ReadOnlySpan<float> h0, ReadOnlySpan<float> c0)
    {
        int block = maxB * H;
        for (int l = 0; l < L; l++)
        {
            if (h0.Length >= (l + 1) * block)
                layers[l].States.View.SubView(0, block).CopyFromCPU(ref MemoryMarshal.GetReference(h0.Slice(l * block, block)), block);
            if (layers[l].Cells is { } cells && c0.Length >= (l + 1) * block)
                cells.View.SubView(0, block).CopyFromCPU(ref MemoryMarshal.GetReference(c0.Slice(l * block, block)), block);
        }
    }

    /// <summary>Downloads the carried state into h0, c0 ([L, maxB, H]; an empty span is skipped).</summary>
    public void PullState(Span<float> h0, Span<float> c0)
    {
        int block = maxB * H;
        for (int l = 0; l < L; l++)
        {
            if (h0.Length >= (l + 1) * block)
                layers[l].States.View.SubView(0, block).CopyToCPU(ref MemoryMarshal.GetReference(h0.Slice(l * block, block)), block);
            if (layers[l].Cells is { } cells && c0.Length >= (l + 1) * block)
                cells.View.SubView(0, block).CopyToCPU(ref MemoryMarshal.GetReference(c0.Slice(l * block, block)), block);
        }
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        foreach (var layer in layers)
        {
            layer.Gx.Dispose();
            layer.Act?.Dispose();
            layer.States.Dispose();
            layer.Cells?.Dispose();
            layer.DGates.Dispose();
            layer.DGh?.Dispose();
            layer.DY.Dispose();
        }
        gh.Dispose();
        scan?.Dispose();
        dhNext.Dispose();
        dcNext.Dispose();
        lengths.Dispose();
    }
}
