using Baton.Numerics;

namespace Baton.Layers;

/// <summary>
/// A stack of recurrent layers equivalent to PyTorch's nn.RNN / nn.LSTM / nn.GRU (time-major, batch_first=False):
/// any number of layers, optionally bidirectional (layer k+1 reads the concatenation [forward h, reverse h]),
/// dropout between layers while training, h0 / c0 in and hn / cn out, and variable-length batches with
/// pack_padded_sequence semantics (each sequence's final state is taken at its own last step, outputs past
/// its length are zero, padding gets and gives no gradient, padded steps cost nothing).
/// Weights are registered under PyTorch's state-dict names: {prefix}weight_ih_l{k}[_reverse], weight_hh, bias_ih,
/// bias_hh, and weight_hr with a projection.
/// </summary>
internal sealed class RecurrentStack
{
    private readonly RecurrentLayer[] layers; // [L * D], layer-direction l * D + d
    private readonly Parameters parameters;

    /// <summary>Builds the layers and registers their tensors in <paramref name="parameters"/> (which must not be frozen yet).</summary>
    public RecurrentStack(RecurrentOptions options, Parameters parameters, string prefix = "rnn.")
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(parameters);
        ArgumentNullException.ThrowIfNull(prefix);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.InputSize, 1, nameof(options));
        ArgumentOutOfRangeException.ThrowIfLessThan(options.HiddenSize, 1, nameof(options));
        ArgumentOutOfRangeException.ThrowIfLessThan(options.Layers, 1, nameof(options));
        if (options.ProjSize < 0 || (options.ProjSize > 0 && (options.Cell != CellKind.Lstm || options.ProjSize >= options.HiddenSize)))
            throw new ArgumentException("ProjSize must be 0, or for an LSTM between 1 and HiddenSize - 1.", nameof(options));
        if (!(options.Dropout >= 0f && options.Dropout < 1f))
            throw new ArgumentException("Dropout must be in [0, 1).", nameof(options));

        Options = options;
        this.parameters = parameters;
        Directions = options.Bidirectional ? 2 : 1;
        StateSize = options.ProjSize > 0 ? options.ProjSize : options.HiddenSize;
        OutputSize = StateSize * Directions;
        HasCellState = options.Cell == CellKind.Lstm;
        layers = new RecurrentLayer[options.Layers * Directions];
        for (int l = 0; l < options.Layers; l++)
        {
            for (int d = 0; d < Directions; d++)
            {
                int inputSize = l == 0 ? options.InputSize : OutputSize;
                string suffix = $"_l{l}" + (d == 1 ? "_reverse" : "");
                layers[l * Directions + d] = CreateLayer(options, parameters, prefix, suffix, inputSize, d == 1);
            }
        }
    }

    private static RecurrentLayer CreateLayer(RecurrentOptions o, Parameters p, string prefix, string suffix, int inputSize, bool reverse) =>
        o.Cell switch
        {
            CellKind.Rnn => new Rnn(p, prefix, suffix, inputSize, o.HiddenSize, o.Nonlinearity, reverse),
            CellKind.Lstm => new Lstm(p, prefix, suffix, inputSize, o.HiddenSize, o.ProjSize, reverse),
            CellKind.Gru => new Gru(p, prefix, suffix, inputSize, o.HiddenSize, reverse),
            CellKind.MinGru or CellKind.MinLstm => new MinRecurrentLayer(o.Cell, p, prefix, suffix, inputSize, o.HiddenSize, reverse),
            _ => throw new NotSupportedException($"CellKind.{o.Cell} is not available in RecurrentStack yet."),
        };

    /// <summary>The options the stack was built with.</summary>
    public RecurrentOptions Options { get; }

    /// <summary>1, or 2 when bidirectional.</summary>
    public int Directions { get; }

    /// <summary>Width of h per layer-direction: ProjSize when projecting, else HiddenSize.</summary>
    public int StateSize { get; }

    /// <summary>Width of y: StateSize * Directions.</summary>
    public int OutputSize { get; }

    /// <summary>True for LSTM (c has HiddenSize per layer-direction).</summary>
    public bool HasCellState { get; }

    internal RecurrentLayer Layer(int layerDirection) => layers[layerDirection];

    private int CellSize => HasCellState ? Options.HiddenSize : 0;

    /// <summary>Fills every tensor of this stack, in registration order, with U(-1/sqrt(H), 1/sqrt(H)) (PyTorch's init).</summary>
    public void ResetParameters(Rng rng)
    {
        ArgumentNullException.ThrowIfNull(rng);
        RequireFrozen();
        float bound = 1f / MathF.Sqrt(Options.HiddenSize);
        foreach (var layer in layers)
            foreach (var tensor in layer.Tensors)
                foreach (ref float v in parameters.Value(tensor))
                    v = rng.Uniform(-bound, bound);
        parameters.MarkChanged();
    }

    /// <summary>Creates the buffers for calls of up to <paramref name="maxT"/> steps and <paramref name="maxB"/> sequences (larger calls grow it).</summary>
    public RecurrentWorkspace CreateWorkspace(int maxT, int maxB) => new(this, maxT, maxB);

    /// <summary>Creates a zero state for <paramref name="batch"/> independent streams (unidirectional stacks only).</summary>
    public StreamState CreateStreamState(int batch)
    {
        if (Directions != 1)
            throw new InvalidOperationException("Streaming needs a unidirectional stack: the reverse direction reads the future.");
        return new StreamState(this, batch);
    }

    private void RequireFrozen()
    {
        if (!parameters.IsFrozen)
            throw new InvalidOperationException("Freeze the Parameters before using the stack.");
    }

    /// <summary>
    /// Runs the stack over x [T, B, I] (time-major). lengths: empty = every sequence has T steps, else [B] values in 1..T,
    /// any order. h0: empty (zeros) or [L*D, B, StateSize]; c0: empty or [L*D, B, HiddenSize] (LSTM).
    /// y: [T, B, OutputSize], zero past each length. hn / cn: empty (skip) or shaped like h0 / c0, the state after
    /// each sequence's own last step (for the reverse direction: after step 0). Dropout between layers is applied only
    /// when <paramref name="training"/>, with masks drawn from <paramref name="rng"/>. Caches what Backward needs in <paramref name="ws"/>.
    /// </summary>
    public void Forward(RecurrentWorkspace ws, ReadOnlySpan<float> x, int T, int B, ReadOnlySpan<int> lengths,
        ReadOnlySpan<float> h0, ReadOnlySpan<float> c0, Span<float> y, Span<float> hn, Span<float> cn, bool training = false, Rng? rng = null) =>
        ForwardCore(ws, x, default, T, B, lengths, h0, c0, y, default, hn, cn, training, rng);

    /// <summary>
    /// <see cref="Forward"/> that, when every sequence has length T, reads x in place and keeps a reference to it for
    /// Backward instead of a packed copy (T·B·I floats less held, like autograd saving its input), and, with one
    /// direction, has the last layer write its output straight into y and read it from there in Backward (no copy out):
    /// neither x nor y may change until Backward. With variable lengths the layers need x and y reordered, so both are
    /// copied as by <see cref="Forward"/>.
    /// </summary>
    public void ForwardKeepingInput(RecurrentWorkspace ws, ReadOnlyMemory<float> x, int T, int B, ReadOnlySpan<int> lengths,
        ReadOnlySpan<float> h0, ReadOnlySpan<float> c0, Memory<float> y, Span<float> hn, Span<float> cn, bool training = false, Rng? rng = null) =>
        ForwardCore(ws, x.Span, x, T, B, lengths, h0, c0, y.Span, y, hn, cn, training, rng);

    private void ForwardCore(RecurrentWorkspace ws, ReadOnlySpan<float> x, ReadOnlyMemory<float> keep, int T, int B, ReadOnlySpan<int> lengths,
        ReadOnlySpan<float> h0, ReadOnlySpan<float> c0, Span<float> y, Memory<float> keepY, Span<float> hn, Span<float> cn, bool training, Rng? rng)
    {
        ArgumentNullException.ThrowIfNull(ws);
        if (ws.Stack != this)
            throw new ArgumentException("The workspace belongs to another stack.", nameof(ws));
        RequireFrozen();
        int I = Options.InputSize, L = Options.Layers, D = Directions, S = StateSize, Hc = CellSize, O = OutputSize;
        ArgumentOutOfRangeException.ThrowIfLessThan(T, 1, nameof(T));
        ArgumentOutOfRangeException.ThrowIfLessThan(B, 1, nameof(B));
        if (x.Length != T * B * I)
            throw new ArgumentException($"x has {x.Length} values; expected T*B*InputSize = {T}*{B}*{I}.", nameof(x));
        if (!lengths.IsEmpty)
        {
            if (lengths.Length != B)
                throw new ArgumentException($"lengths has {lengths.Length} entries; expected B = {B}.", nameof(lengths));
            foreach (int len in lengths)
                if (len < 1 || len > T)
                    throw new ArgumentException($"Each length must be in 1..T = {T}; got {len}.", nameof(lengths));
        }
        CheckState(h0, L * D * B * S, nameof(h0));
        CheckCell(c0, L * D * B * Hc, nameof(c0));
        if (y.Length != T * B * O)
            throw new ArgumentException($"y has {y.Length} values; expected T*B*OutputSize = {T}*{B}*{O}.", nameof(y));
        CheckState(hn, L * D * B * S, nameof(hn));
        CheckCell(cn, L * D * B * Hc, nameof(cn));
        bool dropout = training && Options.Dropout > 0f && L > 1;
        if (dropout && rng is null)
            throw new ArgumentNullException(nameof(rng), "Training with dropout needs an Rng.");

        ws.Ensure(T, B);
        var batch = ws.Batch;
        batch.Set(T, B, lengths);
        int N = batch.N;
        ReadOnlySpan<int> order = batch.Order.AsSpan(0, B);

        ws.KeptInput = batch.IsFull ? keep : default;
        ws.KeptOutput = batch.IsFull && D == 1 ? keepY : default;   // packed is y's own layout: the last layer writes there
        ws.DropoutApplied = dropout;
        if (ws.KeptInput.IsEmpty)
            Pack(x, batch, I, 0, I, ws.LayerInput(0));
        for (int l = 0; l < L; l++)
        {
            if (l > 0 && (D > 1 || dropout))
            {
                float[] input = ws.LayerInput(l);
                for (int d = 0; d < D; d++)
                    CopyColumns(ws.Output((l - 1) * D + d), S, input, O, d * S, N);
                if (dropout)
                    ApplyNewDropoutMask(input.AsSpan(0, N * O), ws.Masks[l].AsSpan(0, N * O), Options.Dropout, rng!);
            }
            ReadOnlySpan<float> layerX = l == 0 && !ws.KeptInput.IsEmpty ? x : LayerX(ws, l);
            for (int d = 0; d < D; d++)
            {
                int ld = l * D + d;
                SortRows(h0, ld, B, S, order, ws.H0[ld]);
                SortRows(c0, ld, B, Hc, order, ws.C0[ld]);
                Span<float> output = l == L - 1 && !ws.KeptOutput.IsEmpty ? y : ws.Output(ld);
                layers[ld].Forward(ws.Caches[ld], batch, layerX, ws.H0[ld], ws.C0[ld], output, ws.Hn[ld], ws.Cn[ld]);
                UnsortRows(ws.Hn[ld], ld, B, S, order, hn);
                UnsortRows(ws.Cn[ld], ld, B, Hc, order, cn);
            }
        }
        if (!batch.IsFull)
            y.Clear();                               // a full batch's Unpack writes every entry
        if (ws.KeptOutput.IsEmpty)
            for (int d = 0; d < D; d++)
                Unpack(ws.Output((L - 1) * D + d), batch, S, d * S, O, y);
        ws.HasForward = true;
    }

    /// <summary>
    /// Backpropagation through time for the last Forward on <paramref name="ws"/>. dy: [T, B, OutputSize] (entries past a
    /// sequence's length are ignored); dhn / dcn: empty (zero) or shaped like hn / cn. Accumulates (+=) every weight and bias
    /// gradient into Parameters.Grad; dx [T, B, I] (zero past each length), dh0, dc0 are overwritten; pass empty to skip.
    /// truncateBefore: the state handed between step truncateBefore-1 and step truncateBefore is treated as a constant
    /// (like h.detach() there), so no gradient flows through the recurrence across that boundary; 0 = full BPTT.
    /// Each Forward serves one Backward: Backward reuses the cached activations as gradient buffers, so a second call
    /// needs a new Forward.
    /// </summary>
    public void Backward(RecurrentWorkspace ws, ReadOnlySpan<float> dy, ReadOnlySpan<float> dhn, ReadOnlySpan<float> dcn,
        Span<float> dx, Span<float> dh0, Span<float> dc0, int truncateBefore = 0)
    {
        ArgumentNullException.ThrowIfNull(ws);
        if (ws.Stack != this)
            throw new ArgumentException("The workspace belongs to another stack.", nameof(ws));
        if (!ws.HasForward)
            throw new InvalidOperationException("Backward needs a Forward on the same workspace first (each Forward serves one Backward).");
        var batch = ws.Batch;
        int T = batch.T, B = batch.B, N = batch.N;
        int I = Options.InputSize, L = Options.Layers, D = Directions, S = StateSize, Hc = CellSize, O = OutputSize;
        if (dy.Length != T * B * O)
            throw new ArgumentException($"dy has {dy.Length} values; expected T*B*OutputSize = {T}*{B}*{O}.", nameof(dy));
        CheckState(dhn, L * D * B * S, nameof(dhn));
        CheckCell(dcn, L * D * B * Hc, nameof(dcn));
        if (!dx.IsEmpty && dx.Length != T * B * I)
            throw new ArgumentException($"dx has {dx.Length} values; expected T*B*InputSize = {T}*{B}*{I}.", nameof(dx));
        CheckState(dh0, L * D * B * S, nameof(dh0));
        CheckCell(dc0, L * D * B * Hc, nameof(dc0));
        ArgumentOutOfRangeException.ThrowIfNegative(truncateBefore, nameof(truncateBefore));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(truncateBefore, T, nameof(truncateBefore));
        ReadOnlySpan<int> order = batch.Order.AsSpan(0, B);

        // A layer reads its output gradient in place where it can: the caller's dy when it is already packed (a full batch,
        // one direction), else the input gradient of the layer above (one direction); two directions need their columns.
        ReadOnlySpan<float> above = default;
        for (int l = L - 1; l >= 0; l--)
        {
            int inputSize = l == 0 ? I : O;
            bool wantInput = l > 0 || !dx.IsEmpty;
            Span<float> dInput = wantInput ? ws.DInput(l).AsSpan(0, N * inputSize) : default;
            dInput.Clear();
            for (int d = 0; d < D; d++)
            {
                int ld = l * D + d;
                ReadOnlySpan<float> layerDy;
                if (l == L - 1 && batch.IsFull && D == 1)
                {
                    layerDy = dy;
                }
                else if (l < L - 1 && D == 1)
                {
                    layerDy = above;
                }
                else
                {
                    float[] packed = ws.DOutput(ld);
                    if (l == L - 1)
                        Pack(dy, batch, O, d * S, S, packed);
                    else
                        CopyColumns(above, O, d * S, packed, S, N);
                    layerDy = packed;
                }
                SortRows(dhn, ld, B, S, order, ws.DHn[ld]);
                SortRows(dcn, ld, B, Hc, order, ws.DCn[ld]);
                ReadOnlySpan<float> layerX = l == 0 && !ws.KeptInput.IsEmpty ? ws.KeptInput.Span : LayerX(ws, l);
                ReadOnlySpan<float> layerY = l == L - 1 && !ws.KeptOutput.IsEmpty ? ws.KeptOutput.Span : ws.Output(ld);
                layers[ld].Backward(ws.Caches[ld], batch, layerX, ws.H0[ld], ws.C0[ld], layerY, layerDy,
                    ws.DHn[ld], ws.DCn[ld], dInput, ws.DH0[ld], ws.DC0[ld], truncateBefore);
                UnsortRows(ws.DH0[ld], ld, B, S, order, dh0);
                UnsortRows(ws.DC0[ld], ld, B, Hc, order, dc0);
            }
            if (l > 0 && ws.DropoutApplied)
                System.Numerics.Tensors.TensorPrimitives.Multiply(dInput, ws.Masks[l].AsSpan(0, N * O), dInput);
            above = dInput;
        }
        if (!dx.IsEmpty)
        {
            if (!batch.IsFull)
                dx.Clear();
            Unpack(above, batch, I, 0, I, dx);
        }
        // The layers overwrite what Forward kept (gates become their gradients), like autograd freeing its graph.
        ws.HasForward = false;
        ws.KeptInput = default;
        ws.KeptOutput = default;
    }

    /// <summary>
    /// Advances <see cref="StreamState.Batch"/> independent streams by one step: x [B, I] → y [B, OutputSize], updating
    /// the state in place. Equals one step of <see cref="Forward"/>: for RNN, GRU and LSTM stacks bit for bit where the
    /// input is at most 384 wide (the same packed products and cell kernels, on the state's packed copy of the weights; see
    /// <see cref="StreamState"/>), to float32 rounding beyond, where Forward's input GEMM rounds after each 384-deep slice.
    /// Allocates nothing; safe on a shared stack from several threads as long as each thread uses its own state.
    /// </summary>
    public void Step(StreamState state, ReadOnlySpan<float> x, Span<float> y)
    {
        ArgumentNullException.ThrowIfNull(state);
        if (state.Stack != this)
            throw new ArgumentException("The stream state belongs to another stack.", nameof(state));
        RequireFrozen();
        int B = state.Batch, I = Options.InputSize, S = StateSize, Hc = CellSize, L = Options.Layers;
        if (x.Length != B * I)
            throw new ArgumentException($"x has {x.Length} values; expected B*InputSize = {B}*{I}.", nameof(x));
        if (y.Length != B * S)
            throw new ArgumentException($"y has {y.Length} values; expected B*OutputSize = {B}*{S}.", nameof(y));
        ReadOnlySpan<float> input = x;
        for (int l = 0; l < L; l++)
        {
            Span<float> output = l == L - 1 ? y : (l % 2 == 0 ? state.LayerOutA : state.LayerOutB).AsSpan(0, B * S);
            layers[l].Step(state.Caches[l], input, B, state.H.Slice(l * B * S, B * S), state.C.Slice(l * B * Hc, B * Hc), output);
            input = output;
        }
    }

    /// <summary>
    /// <see cref="Forward"/> for batch-first tensors: x [B, T, I], y [B, T, OutputSize] (states stay [L*D, B, ·]).
    /// Stages the transposes in the workspace.
    /// </summary>
    public void ForwardBatchFirst(RecurrentWorkspace ws, ReadOnlySpan<float> x, int T, int B, ReadOnlySpan<int> lengths,
        ReadOnlySpan<float> h0, ReadOnlySpan<float> c0, Span<float> y, Span<float> hn, Span<float> cn, bool training = false, Rng? rng = null)
    {
        ArgumentNullException.ThrowIfNull(ws);
        ArgumentOutOfRangeException.ThrowIfLessThan(T, 1, nameof(T));
        ArgumentOutOfRangeException.ThrowIfLessThan(B, 1, nameof(B));
        int I = Options.InputSize, O = OutputSize;
        if (x.Length != T * B * I)
            throw new ArgumentException($"x has {x.Length} values; expected B*T*InputSize = {B}*{T}*{I}.", nameof(x));
        if (y.Length != T * B * O)
            throw new ArgumentException($"y has {y.Length} values; expected B*T*OutputSize = {B}*{T}*{O}.", nameof(y));
        ws.EnsureBatchFirst(T * B * Math.Max(I, O));
        SwapLeadingAxes(x, B, T, I, ws.BatchFirstIn);
        Forward(ws, ws.BatchFirstIn.AsSpan(0, T * B * I), T, B, lengths, h0, c0, ws.BatchFirstOut.AsSpan(0, T * B * O), hn, cn, training, rng);
        SwapLeadingAxes(ws.BatchFirstOut, T, B, O, y);
    }

    /// <summary><see cref="Backward"/> for batch-first tensors: dy [B, T, OutputSize], dx [B, T, I].</summary>
    public void BackwardBatchFirst(RecurrentWorkspace ws, ReadOnlySpan<float> dy, ReadOnlySpan<float> dhn, ReadOnlySpan<float> dcn,
        Span<float> dx, Span<float> dh0, Span<float> dc0, int truncateBefore = 0)
    {
        ArgumentNullException.ThrowIfNull(ws);
        if (!ws.HasForward)
            throw new InvalidOperationException("Backward needs a Forward on the same workspace first.");
        int T = ws.Batch.T, B = ws.Batch.B, I = Options.InputSize, O = OutputSize;
        if (dy.Length != T * B * O)
            throw new ArgumentException($"dy has {dy.Length} values; expected B*T*OutputSize = {B}*{T}*{O}.", nameof(dy));
        if (!dx.IsEmpty && dx.Length != T * B * I)
            throw new ArgumentException($"dx has {dx.Length} values; expected B*T*InputSize = {B}*{T}*{I}.", nameof(dx));
        ws.EnsureBatchFirst(T * B * Math.Max(I, O));
        SwapLeadingAxes(dy, B, T, O, ws.BatchFirstOut);
        Span<float> dxTimeMajor = dx.IsEmpty ? default : ws.BatchFirstIn.AsSpan(0, T * B * I);
        Backward(ws, ws.BatchFirstOut.AsSpan(0, T * B * O), dhn, dcn, dxTimeMajor, dh0, dc0, truncateBefore);
        if (!dx.IsEmpty)
            SwapLeadingAxes(dxTimeMajor, T, B, I, dx);
    }

    /// <summary>destination[j, i, :] = source[i, j, :] for source [rows, cols, features] (batch-first ↔ time-major).</summary>
    public static void SwapLeadingAxes(ReadOnlySpan<float> source, int rows, int cols, int features, Span<float> destination)
    {
        for (int i = 0; i < rows; i++)
            for (int j = 0; j < cols; j++)
                source.Slice((i * cols + j) * features, features).CopyTo(destination.Slice((j * rows + i) * features, features));
    }

    private static void CheckState(ReadOnlySpan<float> s, int expected, string name)
    {
        if (!s.IsEmpty && s.Length != expected)
            throw new ArgumentException($"{name} has {s.Length} values; expected {expected} ([L*D, B, StateSize]) or none.", name);
    }

    private void CheckCell(ReadOnlySpan<float> s, int expected, string name)
    {
        if (s.IsEmpty)
            return;
        if (!HasCellState)
            throw new ArgumentException($"{name} must be empty: a {Options.Cell} has no cell state.", name);
        if (s.Length != expected)
            throw new ArgumentException($"{name} has {s.Length} values; expected {expected} ([L*D, B, HiddenSize]) or none.", name);
    }

    /// <summary>
    /// The packed input layer l reads (Forward) and read (Backward), unless it is the caller's kept x: above layer 0 with one
    /// direction and no dropout, the layer below's output itself; otherwise the workspace's copy (packed x, or the
    /// directions' outputs side by side, dropped out).
    /// </summary>
    private ReadOnlySpan<float> LayerX(RecurrentWorkspace ws, int l) =>
        l > 0 && Directions == 1 && !ws.DropoutApplied ? ws.Output(l - 1) : ws.LayerInput(l);

    /// <summary>packed[off[t] + j, :] = src[t, order[j], col .. col + width) for the running rows j.</summary>
    private static void Pack(ReadOnlySpan<float> src, PackedBatch batch, int srcWidth, int col, int width, Span<float> packed)
    {
        int B = batch.B;
        if (batch.IsFull && srcWidth == width)
        {
            // Every sequence runs all T steps in its own order (the sort is stable): packed is src.
            ParallelCopy.Copy(src[..(batch.T * B * width)], packed);
            return;
        }
        for (int t = 0; t < batch.T; t++)
        {
            int o = batch.Offsets[t];
            for (int j = 0; j < batch.BatchSizes[t]; j++)
                src.Slice((t * B + batch.Order[j]) * srcWidth + col, width).CopyTo(packed.Slice((o + j) * width, width));
        }
    }

    /// <summary>dst[t, order[j], col .. col + width) = packed[off[t] + j, :] for the running rows j (other entries untouched).</summary>
    private static void Unpack(ReadOnlySpan<float> packed, PackedBatch batch, int width, int col, int dstWidth, Span<float> dst)
    {
        int B = batch.B;
        if (batch.IsFull && dstWidth == width)
        {
            ParallelCopy.Copy(packed[..(batch.T * B * width)], dst);
            return;
        }
        for (int t = 0; t < batch.T; t++)
        {
            int o = batch.Offsets[t];
            for (int j = 0; j < batch.BatchSizes[t]; j++)
                packed.Slice((o + j) * width, width).CopyTo(dst.Slice((t * B + batch.Order[j]) * dstWidth + col, width));
        }
    }

    /// <summary>dst[r, dstCol .. dstCol + srcWidth) = src[r, :] for r in 0..rows-1.</summary>
    private static void CopyColumns(ReadOnlySpan<float> src, int srcWidth, Span<float> dst, int dstWidth, int dstCol, int rows)
    {
        for (int r = 0; r < rows; r++)
            src.Slice(r * srcWidth, srcWidth).CopyTo(dst.Slice(r * dstWidth + dstCol, srcWidth));
    }

    /// <summary>dst[r, :] = src[r, srcCol .. srcCol + dstWidth) for r in 0..rows-1.</summary>
    private static void CopyColumns(ReadOnlySpan<float> src, int srcWidth, int srcCol, Span<float> dst, int dstWidth, int rows)
    {
        for (int r = 0; r < rows; r++)
            src.Slice(r * srcWidth + srcCol, dstWidth).CopyTo(dst.Slice(r * dstWidth, dstWidth));
    }

    /// <summary>sorted[j, :] = state[ld, order[j], :] (zeros when state is empty).</summary>
    private static void SortRows(ReadOnlySpan<float> state, int ld, int B, int width, ReadOnlySpan<int> order, Span<float> sorted)
    {
        if (width == 0)
            return;
        if (state.IsEmpty)
        {
            sorted[..(B * width)].Clear();
            return;
        }
        for (int j = 0; j < B; j++)
            state.Slice((ld * B + order[j]) * width, width).CopyTo(sorted.Slice(j * width, width));
    }

    /// <summary>state[ld, order[j], :] = sorted[j, :] (skipped when state is empty).</summary>
    private static void UnsortRows(ReadOnlySpan<float> sorted, int ld, int B, int width, ReadOnlySpan<int> order, Span<float> state)
    {
        if (state.IsEmpty || width == 0)
            return;
        for (int j = 0; j < B; j++)
            sorted.Slice(j * width, width).CopyTo(state.Slice((ld * B + order[j]) * width, width));
    }

    /// <summary>Draws mask = 0 with probability p else 1/(1-p), and multiplies v by it.</summary>
    private static void ApplyNewDropoutMask(Span<float> v, Span<float> mask, float p, Rng rng)
    {
        float scale = 1f / (1f - p);
        for (int i = 0; i < v.Length; i++)
        {
            mask[i] = rng.NextFloat() < p ? 0f : scale;
            v[i] *= mask[i];
        }
    }
}
