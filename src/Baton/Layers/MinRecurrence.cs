using System.Numerics.Tensors;
using Baton.Numerics;

namespace Baton.Layers;

/// <summary>
/// What minGRU and minLSTM share: the gates depend on x_t only, so all T·B rows are projected to <c>[T·B, G·H]</c>
/// at once (chunks in the reference implementation's order: hidden first, then the gates); one fused pass turns each
/// row into the coefficients of h_t = a_t ⊙ h_{t-1} + b_t and runs that recurrence over the N = B·H channels (the
/// <see cref="LinearScan"/> loop, split over threads by channels), leaving the row's activations in place of the
/// projection. Unless the weight is larger than an L2, each thread projects the rows of its own channels itself, a
/// block of steps at a time, just before its pass reads them. Backward is one fused pass too (the reversed scan and the elementwise derivatives from
/// those activations, a recomputed rather than stored), then the weight-gradient
/// GEMM and, when asked, the input-gradient GEMM. With <see cref="ScanMethod.TimeChunks"/> the scans run separately
/// in <see cref="LinearScan"/>. The cells supply the per-vector math (<see cref="IMinCell"/>).
/// </summary>
internal abstract unsafe class MinRecurrence
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

    /// <summary>Below this many elements (T·B·H) the separate elementwise passes of TimeChunks stay on one thread.</summary>
    private const int MinElementsPerThread = 16384;

    private readonly Parameters parameters;
    private readonly MinKernels kernels;
    private readonly MinPass pass;
    private PackedMatrix? packedWeight;                 // Wᵀ for the fused forward, packed at each Forward

    /// <summary>
    /// Largest projection weight (bytes) for which each thread projects its own rows: every tile of its products reads
    /// the packed weight from L2. Measured on a 1.25 MB L2: 0.5 and 0.75 MB faster than one product of all rows
    /// (minGRU training 6–10 %), 1.5 MB no faster.
    /// </summary>
    private const long FusedWeightBytes = 1 << 20;

    /// <summary>Registers <c>{prefix}{linearName}.weight</c> <c>[G·H, I]</c> and <c>{prefix}{linearName}.bias</c> <c>[G·H]</c>.</summary>
    private protected MinRecurrence(int inputSize, int hiddenSize, Parameters parameters, string prefix, string linearName, MinKernels kernels)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(inputSize, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(hiddenSize, 1);
        ArgumentNullException.ThrowIfNull(parameters);
        InputSize = inputSize;
        HiddenSize = hiddenSize;
        Chunks = kernels.Chunks;
        this.parameters = parameters;
        this.kernels = kernels;
        pass = new MinPass(kernels);
        Weight = parameters.Add($"{prefix}{linearName}.weight", Chunks * hiddenSize, inputSize);
        Bias = parameters.Add($"{prefix}{linearName}.bias", Chunks * hiddenSize);
    }

    /// <summary>The SIMD path of the fused passes (tests pin it).</summary>
    internal SimdPath Path
    {
        get => pass.Path;
        set => pass.Path = value;
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
        parameters.MarkChanged();
    }

    /// <summary>Buffers for <see cref="Forward"/> / <see cref="Backward"/> up to <paramref name="maxT"/> × <paramref name="maxB"/>.</summary>
    public MinRecurrenceCache CreateCache(int maxT, int maxB) => new(checked(maxT * maxB), maxB, InputSize, HiddenSize, Chunks);

    internal MinRecurrenceCache CreateCacheForRows(int maxRows, int maxB) => new(maxRows, maxB, InputSize, HiddenSize, Chunks);

    /// <summary>Scratch length that <see cref="Step"/> needs for a batch of <paramref name="batch"/>.</summary>
    public int StepScratchSize(int batch) => batch * (Chunks + 2) * HiddenSize;

    /// <summary>
    /// Whole-sequence forward. x: <c>[T, B, I]</c>; lengths: empty (all T) or <c>[B]</c>, each 1..T;
    /// h0: empty (zero) or <c>[B, H]</c>; y: <c>[T, B, H]</c>, zero past each length; hn: empty or <c>[B, H]</c>,
    /// the state at each sequence's own last step. Caches x, the projection and h in <paramref name="cache"/>.
    /// </summary>
    public void Forward(MinRecurrenceCache cache, ReadOnlySpan<float> x, int T, int B, ReadOnlySpan<int> lengths,
        ReadOnlySpan<float> h0, Span<float> y, Span<float> hn)
    {
        ArgumentNullException.ThrowIfNull(cache);
        int I = InputSize, H = HiddenSize, rows = T * B;
        CheckForward(cache, x, T, B, lengths, h0, y, hn);
        x[..(rows * I)].CopyTo(cache.X);
        var h = cache.H.AsSpan(0, rows * H);
        ForwardCore(cache, x, T, B, lengths, h0, h);
        cache.HoldsInputs = true;
        h.CopyTo(y);
        MaskAndGather(cache.Lengths, h, T, B, H, y, hn);
    }

    /// <summary>
    /// <see cref="Forward"/> with every length T that caches neither x nor h: h goes straight to y, and the caller
    /// hands the same x and y, unchanged, to <see cref="BackwardInPlace"/>.
    /// </summary>
    internal void ForwardInPlace(MinRecurrenceCache cache, ReadOnlySpan<float> x, int T, int B, ReadOnlySpan<float> h0,
        Span<float> y, Span<float> hn)
    {
        int H = HiddenSize, rows = T * B;
        CheckForward(cache, x, T, B, [], h0, y, hn);
        var h = y[..(rows * H)];
        ForwardCore(cache, x, T, B, [], h0, h);
        cache.HoldsInputs = false;
        MaskAndGather(null, h, T, B, H, [], hn);
    }

    /// <summary>
    /// Backward of the last <see cref="Forward"/> on <paramref name="cache"/>. Accumulates (+=) into the weight and
    /// bias gradients; dx <c>[T, B, I]</c> and dh0 <c>[B, H]</c> are overwritten (empty = skip). dy: <c>[T, B, H]</c>
    /// (ignored past each length); dhn: empty (zero) or <c>[B, H]</c>. <paramref name="truncateBefore"/> &gt; 0 treats the
    /// state handed from step truncateBefore − 1 to step truncateBefore as a constant (h.detach() there); 0 = full BPTT.
    /// Each Forward serves one Backward: it overwrites the cached activations with their gradient.
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
        if (!cache.HoldsInputs)
            throw new InvalidOperationException("The last forward on this cache did not keep x and h; backward needs the caller's copies.");
        int rows = cache.T * cache.B;
        BackwardCore(cache, cache.X.AsSpan(0, rows * InputSize), cache.H.AsSpan(0, rows * HiddenSize), dy, dhn, dx, dh0, cuts, accumulateDx: false);
    }

    /// <summary>
    /// Backward of the last <see cref="ForwardInPlace"/>: x and y as handed to it; dx <c>[T, B, I]</c> is accumulated (+=)
    /// rather than overwritten; otherwise as <see cref="BackwardWithCuts"/>.
    /// </summary>
    internal void BackwardInPlace(MinRecurrenceCache cache, ReadOnlySpan<float> x, ReadOnlySpan<float> y, ReadOnlySpan<float> dy,
        ReadOnlySpan<float> dhn, Span<float> dx, Span<float> dh0, ReadOnlySpan<int> cuts)
    {
        int rows = cache.T * cache.B;
        BackwardCore(cache, x[..(rows * InputSize)], y[..(rows * HiddenSize)], dy, dhn, dx, dh0, cuts, accumulateDx: true);
    }

    /// <summary>
    /// One step for streaming inference: h ← a ⊙ h + b with the coefficients of x. x: <c>[B, I]</c>; h: <c>[B, H]</c>,
    /// updated in place (it is also the output); scratch: at least <see cref="StepScratchSize"/>. No allocation.
    /// Runs the same kernel as <see cref="Forward"/>'s pass, so a step equals the matching step of a whole sequence.
    /// </summary>
    public void Step(ReadOnlySpan<float> x, Span<float> h, Span<float> scratch, int B)
    {
        int I = InputSize, H = HiddenSize, G = Chunks;
        if (scratch.Length < StepScratchSize(B))
            throw new ArgumentException($"scratch must hold {StepScratchSize(B)} elements.", nameof(scratch));
        if (h.Length < B * H)
            throw new ArgumentException($"h must hold B·H = {B * H} elements.", nameof(h));
        var pre = scratch[..(B * G * H)];
        Gemm.Sgemm(false, true, B, G * H, I, 1f, x, I, parameters.Value(Weight), I, 0f, pre, G * H);
        var path = pass.Path;
        fixed (float* pPre = pre, pBias = parameters.Value(Bias), pH = h)
        {
            for (int r = 0; r < B; r++)
                kernels.Forward(path, pPre + (long)r * G * H, pBias, pH + (long)r * H, pH + (long)r * H, null, H, 0, H);
        }
    }

    private void CheckForward(MinRecurrenceCache cache, ReadOnlySpan<float> x, int T, int B, ReadOnlySpan<int> lengths,
        ReadOnlySpan<float> h0, Span<float> y, Span<float> hn)
    {
        int I = InputSize, H = HiddenSize, rows = T * B;
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
    }

    // The projection, then h [T, B, H] by the fused pass (or coefficients and a separate scan for TimeChunks).
    private void ForwardCore(MinRecurrenceCache cache, ReadOnlySpan<float> x, int T, int B, ReadOnlySpan<int> lengths,
        ReadOnlySpan<float> h0, Span<float> h)
    {
        int I = InputSize, H = HiddenSize, G = Chunks, rows = T * B, N = B * H;
        cache.T = T;
        cache.B = B;
        if (lengths.IsEmpty)
        {
            cache.Lengths = null;
        }
        else
        {
            lengths.CopyTo(cache.LengthBuffer);
            cache.Lengths = cache.LengthBuffer;
        }
        cache.Method = LinearScan.Resolve(ScanMethod, T, N);
        cache.HasForward = true;
        var state0 = cache.H0.AsSpan(0, N);                                       // [B, H]
        if (h0.IsEmpty)
            state0.Clear();
        else
            h0.CopyTo(state0);

        var pre = cache.Pre.AsSpan(0, rows * G * H);                               // [T·B, G·H]
        if (rows == 0)
            return;
        if (cache.Method != ScanMethod.TimeChunks && (long)I * G * H * sizeof(float) <= FusedWeightBytes)
        {
            // Each thread projects the rows of the channels it scans, a block of steps at a time, and scans them while
            // they are in its cache: the projection makes one trip through memory, not three. The packed product
            // rounds each element by K slices, exactly as the whole one does.
            packedWeight ??= new PackedMatrix(I, G * H);
            packedWeight.Pack(parameters.Value(Weight), I, transB: true);
            fixed (float* pX = x, pPre = pre, pBias = parameters.Value(Bias), pH0 = state0, pH = h)
            {
                pass.Forward(pX, packedWeight, pPre, pBias, pH0, pH, T, B, H, ScanParts(cache.Method));
            }
            return;
        }
        // The whole product, then the pass over it: the scan itself, or (TimeChunks) the coefficients for a scan split
        // over time.
        Gemm.Sgemm(false, true, rows, G * H, I, 1f, x, I, parameters.Value(Weight), I, 0f, pre, G * H);
        bool separate = cache.Method == ScanMethod.TimeChunks;
        var a = separate ? cache.A.AsSpan(0, rows * H) : [];
        fixed (float* pPre = pre, pBias = parameters.Value(Bias), pH0 = state0, pH = h, pA = a)
        {
            pass.Forward(pPre, pBias, pH0, pH, pA, T, B, H, separate ? ElementwiseParts(rows) : ScanParts(cache.Method));
        }
        if (separate)
            LinearScan.Forward(a, h, state0, h, T, N, ScanMethod.TimeChunks);
    }

    private void BackwardCore(MinRecurrenceCache cache, ReadOnlySpan<float> x, ReadOnlySpan<float> h, ReadOnlySpan<float> dy,
        ReadOnlySpan<float> dhn, Span<float> dx, Span<float> dh0, ReadOnlySpan<int> cuts, bool accumulateDx)
    {
        int T = cache.T, B = cache.B, I = InputSize, H = HiddenSize, G = Chunks, rows = T * B, N = B * H;
        if (!cache.HasForward)
            throw new InvalidOperationException("Backward needs a Forward on this cache first (each Forward serves one Backward: it overwrites the cached activations with their gradient).");
        if (dy.Length < rows * H)
            throw new ArgumentException($"dy must hold T·B·H = {rows * H} elements.", nameof(dy));
        if (!dhn.IsEmpty && dhn.Length != N)
            throw new ArgumentException($"dhn must be empty or [B, H] = {N} elements.", nameof(dhn));
        if (!dh0.IsEmpty && dh0.Length != N)
            throw new ArgumentException($"dh0 must be empty or [B, H] = {N} elements.", nameof(dh0));
        if (T == 0)
        {
            dh0.Clear();
            if (!dx.IsEmpty && !accumulateDx)
                dx.Clear();
            return;
        }
        bool separate = cache.Method == ScanMethod.TimeChunks;
        var gNext = cache.GNext.AsSpan(0, N);                                      // [B, H]
        var aNext = cache.ANext.AsSpan(0, N);                                      // [B, H]
        var sums = cache.Sums.AsSpan(0, B * G * H);                                // [B, G·H]
        sums.Clear();

        // dL/dh_t from outside the recurrence: dy inside each sequence, plus dhn at its last step. With every length T
        // the fused scan reads dy as it is and starts from the carry g = dhn, a = 1: g_{T−1} = dy_{T−1} + dhn.
        ReadOnlySpan<float> dh = dy[..(rows * H)];
        gNext.Clear();
        aNext.Clear();
        if (cache.Lengths != null || separate)
        {
            var g = cache.G.AsSpan(0, rows * H);                                    // [T, B, H]
            dh.CopyTo(g);
            ScatterFinal(cache.Lengths, T, B, H, g, dhn);
            dh = g;
        }
        else if (!dhn.IsEmpty)
        {
            dhn.CopyTo(gNext);
            aNext.Fill(1f);
        }

        // ∂L/∂pre overwrites pre in place: the kernels read a lane's activations before they store its gradients.
        var dpre = cache.Pre.AsSpan(0, rows * G * H);                               // [T·B, G·H]
        var state0 = cache.H0.AsSpan(0, N);
        bool anyCut = false;
        foreach (int cut in cuts)
            anyCut |= cut > 0;
        if (separate)
            ScanSeparately(cache, h, anyCut ? cuts : [], dh0);
        fixed (float* pPre = cache.Pre, pH0 = state0, pH = h, pDh = dh, pGNext = gNext,
            pANext = aNext, pDPre = dpre, pSums = sums)
        fixed (int* pCuts = cuts)
        {
            if (separate)
                pass.Backward(pPre, pH0, pH, pDh, null, null, null, pDPre, pSums, T, B, H, ElementwiseParts(rows));
            else
                pass.Backward(pPre, pH0, pH, pDh, pGNext, pANext, anyCut ? pCuts : null, pDPre, pSums, T, B, H, ScanParts(cache.Method));
        }
        if (!separate && !dh0.IsEmpty)
            TensorPrimitives.Multiply(aNext, gNext, dh0);                          // dh0 = a_0 ⊙ g_0
        cache.HasForward = false;

        var dBias = parameters.Gradient(Bias);
        for (int b = 0; b < B; b++)
            TensorPrimitives.Add(dBias, sums.Slice(b * G * H, G * H), dBias);
        Gemm.Sgemm(true, false, G * H, I, rows, 1f, dpre, G * H, x, I, 1f, parameters.Gradient(Weight), I);
        if (!dx.IsEmpty)
            Gemm.Sgemm(false, false, rows, I, G * H, 1f, dpre, G * H, parameters.Value(Weight), I, accumulateDx ? 1f : 0f, dx, I);
    }

    // TimeChunks: the reversed scan in LinearScan turns cache.G into g_t in place. A cut detaches h_{cut−1} → h_cut: the
    // scan must not carry g_cut back through a_cut, so those entries of a are zeroed first (in place: nothing reads a
    // after this scan).
    private void ScanSeparately(MinRecurrenceCache cache, ReadOnlySpan<float> h, ReadOnlySpan<int> cuts, Span<float> dh0)
    {
        int T = cache.T, B = cache.B, H = HiddenSize, N = B * H;
        Span<float> a = cache.A.AsSpan(0, T * N);
        for (int b = 0; b < cuts.Length; b++)
            if (cuts[b] > 0)
                a.Slice((cuts[b] * B + b) * H, H).Clear();
        var g = cache.G.AsSpan(0, T * N);
        LinearScan.Backward(a, h, cache.H0.AsSpan(0, N), g, g, [], dh0, T, N, ScanMethod.TimeChunks);
    }

    // The fused passes: one thread per channel group when the scan would split channels, else one.
    private static int ScanParts(ScanMethod method) => method == ScanMethod.Channels ? Threads.Count : 1;

    // The elementwise passes around a separate scan: any split, once there is enough work.
    private int ElementwiseParts(int rows) => Math.Clamp(rows * HiddenSize / MinElementsPerThread, 1, Threads.Count);

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
}
