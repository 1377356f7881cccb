using System.Globalization;
using System.Numerics.Tensors;

namespace Baton.Layers;

/// <summary>
/// A minGRU / minLSTM layer-direction inside <see cref="RecurrentStack"/>. The stack hands over packed rows
/// (sequences sorted by length); the scan wants a rectangle, so the layer copies each sequence into a time-major
/// <c>[T, B, ·]</c> buffer starting at step 0 — for the reverse direction, in reverse order within its own length —
/// runs <see cref="MinRecurrence"/> with the sorted lengths, and copies back. With every length equal to T in the
/// forward direction the packed layout already is that rectangle and nothing is copied: the cell reads x and writes
/// h straight into y, and Backward hands both back to it.
/// Tensor names: <c>{prefix}layers.{k}.{linear}.weight|bias</c>, <c>{prefix}layers_reverse.{k}.…</c> for the
/// reverse direction (the reference implementation's module names inside a ModuleList called <c>layers</c>).
/// </summary>
internal sealed class MinRecurrentLayer : RecurrentLayer
{
    private readonly MinRecurrence cell;

    public MinRecurrentLayer(CellKind kind, Parameters parameters, string prefix, string suffix, int inputSize, int hiddenSize, bool reverse)
        : base(parameters, inputSize, hiddenSize, 0, reverse)
    {
        string modulePrefix = ModulePrefix(prefix, suffix, reverse);
        cell = kind switch
        {
            CellKind.MinGru => new MinGru(inputSize, hiddenSize, parameters, modulePrefix),
            CellKind.MinLstm => new MinLstm(inputSize, hiddenSize, parameters, modulePrefix),
            _ => throw new ArgumentOutOfRangeException(nameof(kind)),
        };
        Tensors = [cell.Weight, cell.Bias];
    }

    /// <summary>Maps the stack's PyTorch-style suffix <c>_l{k}[_reverse]</c> to <c>{prefix}layers[_reverse].{k}.</c>.</summary>
    internal static string ModulePrefix(string prefix, string suffix, bool reverse)
    {
        string body = suffix.StartsWith("_l", StringComparison.Ordinal) ? suffix[2..] : suffix;
        if (body.EndsWith("_reverse", StringComparison.Ordinal))
            body = body[..^"_reverse".Length];
        int layer = int.Parse(body, NumberStyles.None, CultureInfo.InvariantCulture);
        return $"{prefix}layers{(reverse ? "_reverse" : "")}.{layer}.";
    }

    public override IReadOnlyList<ParameterTensor> Tensors { get; }

    /// <summary>The cell, for DEER-free direct use and tests.</summary>
    public MinRecurrence Cell => cell;

    private sealed class Cache(MinRecurrence cell) : LayerCache
    {
        private float[]? x, y, dx;
        private int rows;

        public MinRecurrenceCache Inner = cell.CreateCacheForRows(0, 0);
        public int[] Cuts = [];      // [B]       per-sequence truncation step
        public bool Direct;          // packed == padded: cell caches used in place

        // The padded buffers serve only batches that are not already a forward-direction rectangle, so they are
        // made on first use (a full-length training run never needs their 3 × [T·B, ·] floats).
        public float[] PaddedX => x ??= new float[rows * cell.InputSize];     // [T·B, I]  padded, per-sequence time order (reverse: reversed)
        public float[] PaddedY => y ??= new float[rows * cell.HiddenSize];    // [T·B, H]  padded output, then dy
        public float[] PaddedDx => dx ??= new float[rows * cell.InputSize];   // [T·B, I]  padded dx

        protected override void Allocate(int rows, int batch)
        {
            Inner = cell.CreateCacheForRows(rows, batch);
            this.rows = rows;
            (x, y, dx) = (null, null, null);
            Cuts = new int[batch];
        }
    }

    public override LayerCache CreateCache() => new Cache(cell);

    public override void Forward(LayerCache cache, PackedBatch batch, ReadOnlySpan<float> x,
        ReadOnlySpan<float> h0, ReadOnlySpan<float> c0, Span<float> y, Span<float> hn, Span<float> cn)
    {
        var k = (Cache)cache;
        int T = batch.T, B = batch.B, I = InputSize, H = StateSize;
        k.Ensure(T * B, B);
        k.Direct = batch.IsFull && !Reverse;
        ReadOnlySpan<int> lengths = batch.IsFull ? [] : batch.Lengths.AsSpan(0, B);
        if (k.Direct)
        {
            cell.ForwardInPlace(k.Inner, x, T, B, h0[..(B * H)], y, hn[..(B * H)]);
            return;
        }
        var xPad = k.PaddedX.AsSpan(0, T * B * I);
        xPad.Clear();
        Gather(batch, x, I, xPad, Reverse);
        var yPad = k.PaddedY.AsSpan(0, T * B * H);
        cell.Forward(k.Inner, xPad, T, B, lengths, h0[..(B * H)], yPad, hn[..(B * H)]);
        Scatter(batch, yPad, H, y, Reverse, accumulate: false);
    }

    public override void Backward(LayerCache cache, PackedBatch batch, ReadOnlySpan<float> x, ReadOnlySpan<float> h0,
        ReadOnlySpan<float> c0, ReadOnlySpan<float> y,
        ReadOnlySpan<float> dy, ReadOnlySpan<float> dhn, ReadOnlySpan<float> dcn,
        Span<float> dx, Span<float> dh0, Span<float> dc0, int truncateBefore)
    {
        var k = (Cache)cache;
        int T = batch.T, B = batch.B, I = InputSize, H = StateSize;
        var cuts = k.Cuts.AsSpan(0, B);
        for (int b = 0; b < B; b++)
        {
            int length = batch.Lengths[b];
            // The detached link enters step truncateBefore (forward) or, in per-sequence reversed time,
            // step length − truncateBefore (reverse); only sequences that run past truncateBefore have it.
            cuts[b] = truncateBefore > 0 && length > truncateBefore ? (Reverse ? length - truncateBefore : truncateBefore) : -1;
        }
        var dhnRows = dhn[..(B * H)];
        var dh0Rows = dh0.IsEmpty ? Span<float>.Empty : dh0[..(B * H)];
        if (k.Direct)
        {
            cell.BackwardInPlace(k.Inner, x, y, dy, dhnRows, dx.IsEmpty ? dx : dx[..(T * B * I)], dh0Rows, cuts);
            return;
        }
        var dyPad = k.PaddedY.AsSpan(0, T * B * H);
        dyPad.Clear();
        Gather(batch, dy, H, dyPad, Reverse);
        var dxPadded = dx.IsEmpty ? Span<float>.Empty : k.PaddedDx.AsSpan(0, T * B * I);
        cell.BackwardWithCuts(k.Inner, dyPad, dhnRows, dxPadded, dh0Rows, cuts);
        if (!dx.IsEmpty)
            Scatter(batch, dxPadded, I, dx, Reverse, accumulate: true);
    }

    /// <summary>A stream's scratch for <see cref="MinRecurrence.Step"/>.</summary>
    private sealed class StepCache(int size) : LayerCache
    {
        public readonly float[] Scratch = new float[size];

        protected override void Allocate(int rows, int batch)
        {
        }
    }

    public override LayerCache CreateStepCache(int batch) => new StepCache(cell.StepScratchSize(batch));

    public override void Step(LayerCache cache, ReadOnlySpan<float> x, int batch, Span<float> h, Span<float> c, Span<float> y)
    {
        int H = StateSize;
        cell.Step(x, h[..(batch * H)], ((StepCache)cache).Scratch, batch);
        h[..(batch * H)].CopyTo(y);
    }

    // Packed [N, F] → padded [T, B, F]: sorted row j's step t goes to padded step t (reverse: length_j − 1 − t).
    private static void Gather(PackedBatch batch, ReadOnlySpan<float> packed, int F, Span<float> padded, bool reverse)
    {
        int B = batch.B;
        for (int t = 0; t < batch.T; t++)
        {
            int running = batch.BatchSizes[t], offset = batch.Offsets[t];
            for (int j = 0; j < running; j++)
            {
                int target = reverse ? batch.Lengths[j] - 1 - t : t;
                packed.Slice((offset + j) * F, F).CopyTo(padded.Slice((target * B + j) * F, F));
            }
        }
    }

    // Padded [T, B, F] → packed [N, F] (the inverse of Gather), overwriting or adding.
    private static void Scatter(PackedBatch batch, ReadOnlySpan<float> padded, int F, Span<float> packed, bool reverse, bool accumulate)
    {
        int B = batch.B;
        for (int t = 0; t < batch.T; t++)
        {
            int running = batch.BatchSizes[t], offset = batch.Offsets[t];
            for (int j = 0; j < running; j++)
            {
                int source = reverse ? batch.Lengths[j] - 1 - t : t;
                var from = padded.Slice((source * B + j) * F, F);
                var to = packed.Slice((offset + j) * F, F);
                if (accumulate)
                    TensorPrimitives.Add(to, from, to);
                else
                    from.CopyTo(to);
            }
        }
    }
}
