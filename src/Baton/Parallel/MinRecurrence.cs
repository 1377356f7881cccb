using System.Numerics.Tensors;
using Baton.Layers;
using Baton.Numerics;

namespace Baton.Parallel;

/// <summary>
/// What minGRU and minLSTM share: the gates depend on x_t only, so one GEMM projects all T·B rows to
/// <c>[T·B, G·H]</c> (chunks in the reference implementation's order: hidden first, then the gates), an
/// elementwise pass turns each row into the coefficients of h_t = a_t ⊙ h_{t-1} + b_t, and one
/// <see cref="LinearScan"/> over N = B·H channels gives every h_t. Backward is the reversed scan, an elementwise
/// pass back to the projection, and two GEMMs. Subclasses supply the two elementwise passes.
/// </summary>
public abstract class MinRecurrence
{
    /// <summary>Projection weight <c>[G·H, I]</c> (PyTorch Linear layout).</summary>
    public ParameterTensor Weight { get; }

    /// <summary>Projection bias <c>[G·H]</c>.</summary>
    public ParameterTensor Bias { get; }

    /// <summary>Input width I.</summary>
    public int InputSize { get; }

    /// <summary>Hidden width H.</summary>
    public int HiddenSize { get; }

    /// <summary>Number of H-wide chunks of the projection (2 for minGRU, 3 for minLSTM).</summary>
    public int Chunks { get; }

    /// <summary>How the scan splits over threads (default <see cref="ScanMethod.Auto"/>).</summary>
    public ScanMethod ScanMethod { get; set; } = ScanMethod.Auto;

    private readonly Parameters parameters;
    private readonly RowWork rowWork = new();

    /// <summary>Registers <c>{prefix}{linearName}.weight</c> <c>[G·H, I]</c> and <c>{prefix}{linearName}.bias</c> <c>[G·H]</c>.</summary>
    protected MinRecurrence(int inputSize, int hiddenSize, int chunks, Parameters parameters, string prefix, string linearName)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(inputSize, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(hiddenSize, 1);
        ArgumentNullException.ThrowIfNull(parameters);
        InputSize = inputSize;
        HiddenSize = hiddenSize;
        Chunks = chunks;
        this.parameters = parameters;
        Weight = parameters.Add($"{prefix}{linearName}.weight", chunks * hiddenSize, inputSize);
        Bias = parameters.Add($"{prefix}{linearName}.bias", chunks * hiddenSize);
    }

    /// <summary>U(−1/√H, 1/√H) for the weight, then the bias (DESIGN.md's initialisation).</summary>
    public void ResetParameters(Rng rng)
    {
        float bound = 1f / MathF.Sqrt(HiddenSize);
        foreach (var tensor in new[] { Weight, Bias })
        {
            var values = parameters.Value(tensor);
            for (int i = 0; i < values.Length; i++)
                values[i] = rng.Uniform(-bound, bound);
        }
    }

    /// <summary>Buffers for <see cref="Forward"/> / <see cref="Backward"/> up to <paramref name="maxT"/> × <paramref name="maxB"/>.</summary>
    public MinRecurrenceCache CreateCache(int maxT, int maxB) => new(checked(maxT * maxB), maxB, InputSize, HiddenSize, Chunks);

    internal MinRecurrenceCache CreateCacheForRows(int maxRows, int maxB) => new(maxRows, maxB, InputSize, HiddenSize, Chunks);

    /// <summary>Scratch length that <see cref="Step"/> needs for a batch of <paramref name="batch"/>.</summary>
    public int StepScratchSize(int batch) => batch * (Chunks + 2) * HiddenSize;

    /// <summary>
    /// Whole-sequence forward. x: <c>[T, B, I]</c>; lengths: empty (all T) or <c>[B]</c>, each 1..T;
    /// h0: empty (zero) or <c>[B, H]</c>; y: <c>[T, B, H]</c>, zero past each length; hn: empty or <c>[B, H]</c>,
    /// the state at each sequence's own last step. Caches x, the projection, a and h in <paramref name="cache"/>.
    /// </summary>
    public void Forward(MinRecurrenceCache cache, ReadOnlySpan<float> x, int T, int B, ReadOnlySpan<int> lengths,
        ReadOnlySpan<float> h0, Span<float> y, Span<float> hn)
    {
        ArgumentNullException.ThrowIfNull(cache);
        int I = InputSize, H = HiddenSize, G = Chunks, rows = T * B;
        cache.Check(T, B);
        CheckLengths(lengths, T, B);
        if (x.Length < rows * I)
            throw new ArgumentException($"x must hold T·B·I = {rows * I} elements.", nameof(x));
        if (y.Length < rows * H)
            throw new ArgumentException($"y must hold T·B·H = {rows * H} elements.", nameof(y));
        if (!h0.IsEmpty && h0.Length != B * H)
            throw new ArgumentException($"h0 must be empty or [B, H] = {B * H} elements.", nameof(h0));
        if (!hn.IsEmpty && hn.Length != B * H)
            throw new ArgumentException($"hn must be empty or [B, H] = {B * H} elements.", nameof(hn));
        cache.T = T;
        cache.B = B;
        cache.Lengths = lengths.IsEmpty ? null : lengths.ToArray();
        cache.HasH0 = !h0.IsEmpty;
        if (!h0.IsEmpty)
            h0.CopyTo(cache.H0);
        x[..(rows * I)].CopyTo(cache.X);

        var pre = cache.Pre.AsSpan(0, rows * G * H);                               // [T·B, G·H]
        Gemm.Sgemm(false, true, rows, G * H, I, 1f, x, I, parameters.Value(Weight), I, 0f, pre, G * H);
        rowWork.Start(this, cache, RowWork.Pass.Forward, rows);
        LinearScan.Forward(cache.A.AsSpan(0, rows * H), cache.H.AsSpan(0, rows * H),
            cache.HasH0 ? cache.H0.AsSpan(0, B * H) : [], cache.H.AsSpan(0, rows * H), T, B * H, ScanMethod);

        cache.H.AsSpan(0, rows * H).CopyTo(y);
        MaskAndGather(cache.Lengths, cache.H, T, B, H, y, hn);
    }

    /// <summary>
    /// Backward of the last <see cref="Forward"/> on <paramref name="cache"/>. Accumulates (+=) into the weight and
    /// bias gradients; dx <c>[T, B, I]</c> and dh0 <c>[B, H]</c> are overwritten (empty = skip). dy: <c>[T, B, H]</c>
    /// (ignored past each length); dhn: empty (zero) or <c>[B, H]</c>. <paramref name="truncateBefore"/> &gt; 0 treats the
    /// state handed from step truncateBefore − 1 to step truncateBefore as a constant (h.detach() there); 0 = full BPTT.
    /// </summary>
    public void Backward(MinRecurrenceCache cache, ReadOnlySpan<float> dy, ReadOnlySpan<float> dhn, Span<float> dx, Span<float> dh0,
        int truncateBefore = 0)
    {
        ArgumentNullException.ThrowIfNull(cache);
        ArgumentOutOfRangeException.ThrowIfNegative(truncateBefore);
        int B = cache.B;
        Span<int> cuts = B <= 256 ? stackalloc int[B] : new int[B];
        for (int b = 0; b < B; b++)
        {
            int length = cache.Lengths?[b] ?? cache.T;
            cuts[b] = truncateBefore > 0 && truncateBefore < length ? truncateBefore : -1;
        }
        BackwardWithCuts(cache, dy, dhn, dx, dh0, cuts);
    }

    /// <summary>
    /// <see cref="Backward"/> with a cut per sequence: cuts[b] in 1..length−1 detaches the state entering step cuts[b] of sequence b; −1 = none.
    /// </summary>
    internal void BackwardWithCuts(MinRecurrenceCache cache, ReadOnlySpan<float> dy, ReadOnlySpan<float> dhn, Span<float> dx, Span<float> dh0,
        ReadOnlySpan<int> cuts)
    {
        int T = cache.T, B = cache.B, I = InputSize, H = HiddenSize, G = Chunks, rows = T * B, N = B * H;
        if (dy.Length < rows * H)
            throw new ArgumentException($"dy must hold T·B·H = {rows * H} elements.", nameof(dy));
        if (!dhn.IsEmpty && dhn.Length != N)
            throw new ArgumentException($"dhn must be empty or [B, H] = {N} elements.", nameof(dhn));
        if (!dh0.IsEmpty && dh0.Length != N)
            throw new ArgumentException($"dh0 must be empty or [B, H] = {N} elements.", nameof(dh0));

        // dL/dh_t from outside the recurrence: dy inside each sequence, plus dhn at its last step.
        var g = cache.G.AsSpan(0, rows * H);                                        // [T, B, H]
        dy[..(rows * H)].CopyTo(g);
        ScatterFinal(cache.Lengths, T, B, H, g, dhn);

        // A cut detaches h_{cut−1} → h_cut: the reversed scan must not carry g_cut back through a_cut, while
        // da_cut = g_cut ⊙ h_{cut−1} still holds. So the scan runs on a copy of a with those entries zeroed
        // (in DPre, which is free until the elementwise backward pass).
        ReadOnlySpan<float> a = cache.A.AsSpan(0, rows * H);
        bool anyCut = false;
        foreach (int cut in cuts)
            anyCut |= cut > 0;
        if (anyCut)
        {
            var aCut = cache.DPre.AsSpan(0, rows * H);
            a.CopyTo(aCut);
            for (int b = 0; b < B; b++)
                if (cuts[b] > 0)
                    aCut.Slice((cuts[b] * B + b) * H, H).Clear();
            a = aCut;
        }
        LinearScan.Backward(a, cache.H.AsSpan(0, rows * H), cache.HasH0 ? cache.H0.AsSpan(0, N) : [], g, g,
            cache.Da.AsSpan(0, rows * H), dh0, T, N, ScanMethod);

        var dpre = cache.DPre.AsSpan(0, rows * G * H);                              // [T·B, G·H]
        rowWork.Start(this, cache, RowWork.Pass.Backward, rows);
        var x = cache.X.AsSpan(0, rows * I);
        Gemm.Sgemm(true, false, G * H, I, rows, 1f, dpre, G * H, x, I, 1f, parameters.Gradient(Weight), I);
        ColumnSums(dpre, rows, G * H, parameters.Gradient(Bias));
        if (!dx.IsEmpty)
            Gemm.Sgemm(false, false, rows, I, G * H, 1f, dpre, G * H, parameters.Value(Weight), I, 0f, dx, I);
    }

    /// <summary>
    /// One step for streaming inference: h ← a ⊙ h + b with the coefficients of x. x: <c>[B, I]</c>; h: <c>[B, H]</c>,
    /// updated in place (it is also the output); scratch: at least <see cref="StepScratchSize"/>. No allocation.
    /// </summary>
    public void Step(ReadOnlySpan<float> x, Span<float> h, Span<float> scratch, int B)
    {
        int I = InputSize, H = HiddenSize, G = Chunks;
        if (scratch.Length < StepScratchSize(B))
            throw new ArgumentException($"scratch must hold {StepScratchSize(B)} elements.", nameof(scratch));
        var pre = scratch[..(B * G * H)];
        var a = scratch.Slice(B * G * H, H);
        var b = scratch.Slice(B * G * H + H, H);
        Gemm.Sgemm(false, true, B, G * H, I, 1f, x, I, parameters.Value(Weight), I, 0f, pre, G * H);
        var bias = parameters.Value(Bias);
        for (int r = 0; r < B; r++)
        {
            var preRow = pre.Slice(r * G * H, G * H);
            TensorPrimitives.Add(preRow, bias, preRow);
            Coefficients(preRow, a, b);
            var hRow = h.Slice(r * H, H);
            TensorPrimitives.MultiplyAdd(a, hRow, b, hRow);
        }
    }

    /// <summary>
    /// Forward elementwise pass of one row: from the projection <c>[G·H]</c> (bias added) to the scan's a <c>[H]</c> and b <c>[H]</c>.
    /// </summary>
    protected abstract void Coefficients(ReadOnlySpan<float> pre, Span<float> a, Span<float> b);

    /// <summary>
    /// Backward elementwise pass of one row: from the scan gradients g = ∂L/∂b <c>[H]</c> and da = ∂L/∂a <c>[H]</c>
    /// to ∂L/∂pre <c>[G·H]</c> (overwritten). <paramref name="scratch"/> holds 2·H floats.
    /// </summary>
    protected abstract void CoefficientGradients(ReadOnlySpan<float> pre, ReadOnlySpan<float> g, ReadOnlySpan<float> da,
        Span<float> dpre, Span<float> scratch);

    private static void CheckLengths(ReadOnlySpan<int> lengths, int T, int B)
    {
        if (lengths.IsEmpty)
            return;
        if (lengths.Length != B)
            throw new ArgumentException($"lengths must be empty or have B = {B} entries.", nameof(lengths));
        foreach (int length in lengths)
            if (length < 1 || length > T)
                throw new ArgumentOutOfRangeException(nameof(lengths), $"Each length must be in 1..{T}; got {length}.");
    }

    // y[t, b] = 0 for t ≥ length_b; hn[b] = h[length_b − 1, b].
    internal static void MaskAndGather(int[]? lengths, ReadOnlySpan<float> h, int T, int B, int H, Span<float> y, Span<float> hn)
    {
        for (int b = 0; b < B; b++)
        {
            int length = lengths?[b] ?? T;
            for (int t = length; t < T; t++)
                y.Slice((t * B + b) * H, H).Clear();
            if (!hn.IsEmpty)
            {
                if (T == 0)
                    hn.Slice(b * H, H).Clear();
                else
                    h.Slice(((length - 1) * B + b) * H, H).CopyTo(hn.Slice(b * H, H));
            }
        }
    }

    // g[t, b] = 0 for t ≥ length_b; g[length_b − 1, b] += dhn[b].
    internal static void ScatterFinal(int[]? lengths, int T, int B, int H, Span<float> g, ReadOnlySpan<float> dhn)
    {
        for (int b = 0; b < B; b++)
        {
            int length = lengths?[b] ?? T;
            for (int t = length; t < T; t++)
                g.Slice((t * B + b) * H, H).Clear();
            if (!dhn.IsEmpty && T > 0)
            {
                var last = g.Slice(((length - 1) * B + b) * H, H);
                TensorPrimitives.Add(last, dhn.Slice(b * H, H), last);
            }
        }
    }

    // sums[c] += Σ_r m[r, c], rows in order.
    private static void ColumnSums(ReadOnlySpan<float> m, int rows, int cols, Span<float> sums)
    {
        for (int r = 0; r < rows; r++)
            TensorPrimitives.Add(sums, m.Slice(r * cols, cols), sums);
    }

    /// <summary>The per-row elementwise passes, split over threads by rows.</summary>
    private sealed class RowWork : IParallelWork
    {
        public enum Pass { Forward, Backward }

        private MinRecurrence? layer;
        private MinRecurrenceCache? cache;
        private Pass pass;
        private int rows;

        public void Start(MinRecurrence layer, MinRecurrenceCache cache, Pass pass, int rows)
        {
            this.layer = layer;
            this.cache = cache;
            this.pass = pass;
            this.rows = rows;
            int parts = Math.Clamp(rows * layer.HiddenSize / MinElementsPerThread, 1, Threads.Count);
            WorkerPool.Shared.Run(this, parts);
            this.layer = null;
            this.cache = null;
        }

        private const int MinElementsPerThread = 16384;

        public void Execute(int index, int count)
        {
            var l = layer!;
            var c = cache!;
            int H = l.HiddenSize, GH = l.Chunks * H;
            int r0 = (int)((long)rows * index / count), r1 = (int)((long)rows * (index + 1) / count);
            var bias = l.parameters.Value(l.Bias);
            Span<float> scratch = stackalloc float[2 * H <= 1024 ? 2 * H : 0];
            float[]? rented = null;
            if (scratch.IsEmpty)
            {
                rented = System.Buffers.ArrayPool<float>.Shared.Rent(2 * H);
                scratch = rented.AsSpan(0, 2 * H);
            }
            for (int r = r0; r < r1; r++)
            {
                var pre = c.Pre.AsSpan(r * GH, GH);
                if (pass == Pass.Forward)
                {
                    TensorPrimitives.Add(pre, bias, pre);
                    l.Coefficients(pre, c.A.AsSpan(r * H, H), c.H.AsSpan(r * H, H));
                }
                else
                {
                    l.CoefficientGradients(pre, c.G.AsSpan(r * H, H), c.Da.AsSpan(r * H, H), c.DPre.AsSpan(r * GH, GH), scratch);
                }
            }
            if (rented != null)
                System.Buffers.ArrayPool<float>.Shared.Return(rented);
        }
    }
}
