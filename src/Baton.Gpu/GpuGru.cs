using Baton.Layers;
using Baton.Parallel;
using ILGPU;
using ILGPU.Runtime;

namespace Baton.Gpu;

/// <summary>How <see cref="GpuGru.RunSequential"/> runs the T steps.</summary>
public enum GpuSequentialKernel
{
    /// <summary>The faster of the two below for the shape: <see cref="OneGroup"/> where B·H fits it and H ≤ 32, else <see cref="LaunchPerStep"/>.</summary>
    Auto,

    /// <summary>One kernel launch per step over all B·H outputs (every multiprocessor works; each step pays a launch).</summary>
    LaunchPerStep,

    /// <summary>One launch for the whole sequence on one group of threads (no launches, a group barrier per step, one multiprocessor).</summary>
    OneGroup,
}

/// <summary>
/// A trained one-layer, one-direction GRU (PyTorch equations and names, as <see cref="Deer"/>) evaluated on an
/// accelerator over a whole sequence, either step by step (the sequential baseline) or by quasi-DEER: Newton
/// iterations on all T·B states at once, each one GEMM over all rows, one elementwise kernel and a
/// time-chunked <see cref="GpuLinearScan"/>. <see cref="Load"/> uploads a sequence and computes x W_ihᵀ + b_ih on the device;
/// the Run methods leave h in device memory; <see cref="ReadOutput"/> copies it back.
/// </summary>
public sealed class GpuGru : IDisposable
{
    /// <summary>Largest B·H of <see cref="GpuSequentialKernel.OneGroup"/>: one thread per state at least, in one group.</summary>
    public int OneGroupMaxState => Math.Min(GpuKernels.SequenceMaxState, device.MaxGroupSize);

    private readonly GpuDevice device;
    private readonly Accelerator acc;
    private readonly int I, H;
    private readonly MemoryBuffer1D<float, Stride1D.Dense> weightIh, biasIh, weightHh, biasHh, diagonal;
    private readonly MemoryBuffer1D<uint, Stride1D.Dense> scalar;
    private readonly uint[] scalarHost = new uint[1];

    // Per sequence, grown on demand (rows = T·B).
    private MemoryBuffer1D<float, Stride1D.Dense>? x, gx, gh, prev, state, trial, f, jd, rhs, fTrial, jdTrial, rhsTrial, s0;
    private readonly GpuLinearScan scan;
    private MemoryBuffer1D<float, Stride1D.Dense>? result;
    private int T, B;

    private readonly Action<KernelConfig, ArrayView<float>, int, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int, int> gemm;
    private readonly Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, int> shift;
    private readonly Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>,
        ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<uint>, int> gruDeer;
    private readonly Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<uint>> stepSize;
    private readonly Action<Index1D, ArrayView<float>, ArrayView<float>, float> scaleStep;
    private readonly Action<Index1D, ArrayView<float>, ArrayView<float>, int> broadcast;
    private readonly Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int> gruStep;
    private readonly Action<KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int, int, int> gruSequence;

    /// <summary>Uploads <c>{prefix}weight_ih_l0</c>, <c>weight_hh_l0</c>, <c>bias_ih_l0</c>, <c>bias_hh_l0</c> and compiles the kernels.</summary>
    public GpuGru(GpuDevice device, int inputSize, int hiddenSize, Parameters parameters, string prefix = "rnn.")
    {
        ArgumentNullException.ThrowIfNull(device);
        ArgumentNullException.ThrowIfNull(parameters);
        ArgumentOutOfRangeException.ThrowIfLessThan(inputSize, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(hiddenSize, 1);
        this.device = device;
        acc = device.Accelerator;
        I = inputSize;
        H = hiddenSize;
        int G = 3 * H;
        float[] wih = Read(parameters, $"{prefix}weight_ih_l0", G * I);
        float[] whh = Read(parameters, $"{prefix}weight_hh_l0", G * H);
        float[] diag = new float[G];
        for (int j = 0; j < G; j++)
            diag[j] = whh[j * H + j % H];   // W_hr[i,i], W_hz[i,i], W_hn[i,i]
        weightIh = Upload(wih);
        biasIh = Upload(Read(parameters, $"{prefix}bias_ih_l0", G));
        weightHh = Upload(whh);
        biasHh = Upload(Read(parameters, $"{prefix}bias_hh_l0", G));
        diagonal = Upload(diag);
        scalar = acc.Allocate1D<uint>(1);
        scan = new GpuLinearScan(device);

        gemm = acc.LoadStreamKernel<ArrayView<float>, int, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int, int>(GpuKernels.Gemm);
        shift = acc.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, int>(GpuKernels.Shift);
        gruDeer = acc.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>,
            ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<uint>, int>(GpuKernels.GruDeer);
        stepSize = acc.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<uint>>(GpuKernels.StepSize);
        scaleStep = acc.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, float>(GpuKernels.ScaleStep);
        gruStep = acc.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int>(GpuKernels.GruStep);
        gruSequence = acc.LoadStreamKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int, int, int>(GpuKernels.GruSequence);
        broadcast = acc.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, int>(GpuKernels.Broadcast);
    }

    /// <summary>Takes the weights of a one-layer, unidirectional GRU stack without projection.</summary>
    public GpuGru(GpuDevice device, RecurrentStack stack, Parameters parameters, string prefix = "rnn.")
        : this(device, Check(stack).Options.InputSize, stack.Options.HiddenSize, parameters, prefix)
    {
    }

    private static RecurrentStack Check(RecurrentStack stack)
    {
        ArgumentNullException.ThrowIfNull(stack);
        if (stack.Options.Cell != CellKind.Gru || stack.Options.Layers != 1 || stack.Directions != 1)
            throw new ArgumentException("The accelerator evaluates a one-layer, one-direction GRU.", nameof(stack));
        return stack;
    }

    private static float[] Read(Parameters p, string name, int length)
    {
        var values = p.Value(p[name]);
        if (values.Length != length)
            throw new ArgumentException($"'{name}' has {values.Length} values; expected {length}.", nameof(p));
        return values.ToArray();
    }

    private MemoryBuffer1D<float, Stride1D.Dense> Upload(float[] values)
    {
        var buffer = acc.Allocate1D<float>(Math.Max(1, values.Length));
        if (values.Length > 0)
            buffer.View.SubView(0, values.Length).CopyFromCPU(values);
        return buffer;
    }

    /// <summary>
    /// Uploads x: <c>[T, B, I]</c> and h0: empty (zero) or <c>[B, H]</c>, and computes gx = x W_ihᵀ + b_ih for all rows
    /// (one GEMM) — the part the sequential loop and DEER share.
    /// </summary>
    public void Load(ReadOnlySpan<float> input, int steps, int batch, ReadOnlySpan<float> h0)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(steps, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(batch, 1);
        int rows = steps * batch;
        if (input.Length != rows * I)
            throw new ArgumentException($"x has {input.Length} values; expected T·B·I = {rows * I}.", nameof(input));
        if (!h0.IsEmpty && h0.Length != batch * H)
            throw new ArgumentException($"h0 must be empty or [B, H] = {batch * H}.", nameof(h0));
        T = steps;
        B = batch;
        int G = 3 * H;
        Grow(ref x, rows * I);
        Grow(ref gx, rows * G);
        Grow(ref gh, rows * G);
        Grow(ref s0, B * H);
        x!.View.SubView(0, rows * I).CopyFromCPU(ref System.Runtime.InteropServices.MemoryMarshal.GetReference(input), rows * I);
        var start0 = s0!.View.SubView(0, B * H);
        if (h0.IsEmpty)
            start0.MemSetToZero();
        else
            start0.CopyFromCPU(ref System.Runtime.InteropServices.MemoryMarshal.GetReference(h0), B * H);
        Gemm(x.View, I, weightIh.View, biasIh.View, gx!.View, rows, G, I);
        result = null;
    }

    private void Grow(ref MemoryBuffer1D<float, Stride1D.Dense>? buffer, long length)
    {
        if (buffer is not null && buffer.Length >= length)
            return;
        buffer?.Dispose();
        buffer = acc.Allocate1D<float>(Math.Max(1, length));
    }

    private void Gemm(ArrayView<float> a, int lda, ArrayView<float> w, ArrayView<float> bias, ArrayView<float> c, int m, int n, int k)
    {
        int tiles = (m + GpuKernels.GemmTile - 1) / GpuKernels.GemmTile * ((n + GpuKernels.GemmTile - 1) / GpuKernels.GemmTile);
        gemm(new KernelConfig(tiles, GpuKernels.GemmThreads), a, lda, w, bias, c, m, n, k);
    }

    private void EnsureLoaded()
    {
        if (gx is null)
            throw new InvalidOperationException("Load a sequence first.");
    }

    /// <summary>The T steps one after another: h_t = GRU(x_t, h_{t−1}) for all B sequences; h stays on the device.</summary>
    public void RunSequential(GpuSequentialKernel kernel = GpuSequentialKernel.Auto)
    {
        EnsureLoaded();
        int rows = T * B, width = B * H;
        Grow(ref state, rows * H);
        int groupSize = device.MaxGroupSize;
        bool fits = width <= OneGroupMaxState;
        if (kernel == GpuSequentialKernel.OneGroup && !fits)
            throw new ArgumentException($"One group holds B·H ≤ {OneGroupMaxState}; this sequence has {width}.", nameof(kernel));
        if (kernel == GpuSequentialKernel.OneGroup || (kernel == GpuSequentialKernel.Auto && fits && H <= 32))
        {
            // As many lanes per output (a power of two ≤ 32) as one group allows.
            int lanes = 32;
            while (lanes > 1 && width * lanes > groupSize)
                lanes /= 2;
            int threads = Math.Max(32, (width * lanes + 31) / 32 * 32);
            gruSequence(new KernelConfig(1, threads), gx!.View, weightHh.View, biasHh.View, s0!.View, state!.View, T, B, H, lanes);
        }
        else
        {
            int G = 3 * H;
            for (int t = 0; t < T; t++)
            {
                var hPrev = t == 0 ? s0!.View.SubView(0, width) : state!.View.SubView((long)(t - 1) * width, width);
                gruStep(width * 32, gx!.View.SubView((long)t * B * G, B * G), weightHh.View, biasHh.View, hPrev, state!.View.SubView((long)t * width, width), H);
            }
        }
        result = state;
    }

    /// <summary>
    /// Quasi-DEER (or its damped variant) from the guess h_t = h0: each iteration evaluates f and diag J at the shifted
    /// guess for all rows, then solves h_t = jd_t ⊙ h_{t−1} + (f_t − jd_t ⊙ h̄_{t−1}) by a chunked scan. Stops when
    /// max |h − f(h)| ≤ tolerance; falls back to <see cref="RunSequential"/> when MaxIterations pass first.
    /// </summary>
    public DeerResult RunDeer(DeerOptions? options = null)
    {
        options ??= new DeerOptions();
        if (options.Variant == DeerVariant.Full)
            throw new ArgumentException("The accelerator runs quasi-DEER and its damped variant; full DEER runs on the CPU (Deer).", nameof(options));
        EnsureLoaded();
        int rows = T * B, n = B * H;
        long size = (long)rows * H;
        Grow(ref prev, size);
        Grow(ref state, size);
        Grow(ref trial, size);
        Grow(ref f, size);
        Grow(ref jd, size);
        Grow(ref rhs, size);
        bool damped = options.Variant == DeerVariant.Damped;
        if (damped)
        {
            Grow(ref fTrial, size);
            Grow(ref jdTrial, size);
            Grow(ref rhsTrial, size);
        }

        // Initial guess: every h_t = h0.
        broadcast((int)size, s0!.View, state!.View, n);
        int cap = options.MaxIterations > 0 ? options.MaxIterations : T;
        float residual = Evaluate(state!, f!, jd!, rhs!);
        int iterations = 0, evaluations = 1;
        float radius = options.InitialRadius;
        while (!(residual <= options.Tolerance) && iterations < cap)
        {
            iterations++;
            scan.Forward(jd!.View, rhs!.View, s0!.View, trial!.View, T, n);
            if (!damped)
            {
                (state, trial) = (trial, state);
                residual = Evaluate(state!, f!, jd!, rhs!);
                evaluations++;
                continue;
            }
            float step = MaxStep(state!, trial!, size);
            float alpha = step > radius ? radius / step : 1f;
            if (alpha < 1f)
                scaleStep((int)size, state!.View.SubView(0, size), trial!.View.SubView(0, size), alpha);
            float trialResidual = Evaluate(trial!, fTrial!, jdTrial!, rhsTrial!);
            evaluations++;
            if (trialResidual < residual || !float.IsFinite(residual))
            {
                (state, trial) = (trial, state);
                (f, fTrial) = (fTrial, f);
                (jd, jdTrial) = (jdTrial, jd);
                (rhs, rhsTrial) = (rhsTrial, rhs);
                residual = trialResidual;
                radius = Math.Max(radius, 2f * alpha * step);
            }
            else
            {
                radius = alpha * step / 4f;
            }
        }
        if (residual <= options.Tolerance)
        {
            result = state;
            return new DeerResult(iterations, evaluations, true, false, residual);
        }
        RunSequential();
        return new DeerResult(iterations, evaluations, false, true, residual);
    }

    // f, diag J and rhs at the shifted guess for all rows; returns max |guess − f| (NaN → +∞).
    private float Evaluate(MemoryBuffer1D<float, Stride1D.Dense> guess, MemoryBuffer1D<float, Stride1D.Dense> fOut,
        MemoryBuffer1D<float, Stride1D.Dense> jdOut, MemoryBuffer1D<float, Stride1D.Dense> rhsOut)
    {
        int rows = T * B, n = B * H;
        long size = (long)rows * H;
        shift((int)size, guess.View, s0!.View, prev!.View, n);
        Gemm(prev!.View, H, weightHh.View, biasHh.View, gh!.View, rows, 3 * H, H);
        scalar.View.MemSetToZero();
        gruDeer((int)size, gx!.View, gh!.View, prev!.View, guess.View, diagonal.View, fOut.View, jdOut.View, rhsOut.View, scalar.View, H);
        return ReadScalar();
    }

    private float MaxStep(MemoryBuffer1D<float, Stride1D.Dense> current, MemoryBuffer1D<float, Stride1D.Dense> next, long size)
    {
        scalar.View.MemSetToZero();
        stepSize((int)size, current.View.SubView(0, size), next.View.SubView(0, size), scalar.View);
        return ReadScalar();
    }

    private float ReadScalar()
    {
        scalar.View.CopyToCPU(scalarHost);
        float value = BitConverter.UInt32BitsToSingle(scalarHost[0]);
        return float.IsFinite(value) ? value : float.PositiveInfinity;
    }

    /// <summary>Copies h of the last Run: <c>[T, B, H]</c>.</summary>
    public void ReadOutput(Span<float> y)
    {
        if (result is null)
            throw new InvalidOperationException("Run the sequence first.");
        int count = T * B * H;
        if (y.Length != count)
            throw new ArgumentException($"y has {y.Length} values; expected T·B·H = {count}.", nameof(y));
        result.View.SubView(0, count).CopyToCPU(ref System.Runtime.InteropServices.MemoryMarshal.GetReference(y), count);
    }

    /// <summary>Waits for the device (for timing).</summary>
    public void Synchronize() => device.Synchronize();

    /// <inheritdoc/>
    public void Dispose()
    {
        foreach (var buffer in new[] { weightIh, biasIh, weightHh, biasHh, diagonal, x, gx, gh, prev, state, trial, f, jd, rhs,
                     fTrial, jdTrial, rhsTrial, s0 })
            buffer?.Dispose();
        scalar.Dispose();
        scan.Dispose();
    }
}
