using System.Runtime.InteropServices;
using Baton.Layers;
using Baton.Parallel;
using ILGPU;
using ILGPU.Runtime;

namespace Baton.Gpu;

/// <summary>How <see cref="GpuDeer.RunSequential"/> runs the T steps.</summary>
internal enum GpuSequentialKernel
{
    /// <summary><see cref="OneGroup"/> where B·H fits it and H ≤ 32, else <see cref="LaunchPerStep"/> (the faster on an H200).</summary>
    Auto,

    /// <summary>One kernel launch per step, a warp per output (every multiprocessor works; each step pays a launch).</summary>
    LaunchPerStep,

    /// <summary>One launch for the whole sequence on one group of threads (no launches, a group barrier per step, one multiprocessor).</summary>
    OneGroup,
}

/// <summary>
/// A trained one-layer, one-direction GRU or LSTM (PyTorch equations and names, as <see cref="Deer"/>; state s = h, or
/// [h, c] with D = 2H) evaluated on an accelerator over a whole sequence: step by step (the sequential baseline), or by
/// quasi-DEER — Newton iterations on all T·B states at once with the diagonal of each step's Jacobian, each iteration
/// one GEMM over all rows, one elementwise kernel and a time-chunked <see cref="GpuLinearScan"/>.
/// <see cref="Load"/> uploads a sequence and computes x W_ihᵀ + b_ih on the device; the Run methods leave the states in
/// device memory; <see cref="ReadOutput"/> copies h back. Not thread-safe.
/// </summary>
internal sealed class GpuDeer : IDisposable
{
    private readonly GpuDevice device;
    private readonly Accelerator acc;
    private readonly CellKind cell;
    private readonly DeerCell weights;
    private readonly int I, H, G, D;
    private readonly MemoryBuffer1D<float, Stride1D.Dense> weightIh, biasIh, weightHh, biasHh, diagonal;
    private readonly MemoryBuffer1D<uint, Stride1D.Dense> scalar;
    private readonly uint[] scalarHost = new uint[1];
    private readonly GpuLinearScan scan;

    // Per sequence, grown on demand (rows = T·B): x [rows, I]; gx, gh [rows, G·H]; the rest [rows, D] except s0 [B, D].
    private MemoryBuffer1D<float, Stride1D.Dense>? x, gx, gh, prev, state, trial, f, jd, rhs, fTrial, jdTrial, rhsTrial, s0, hidden;
    private MemoryBuffer1D<float, Stride1D.Dense>? result;
    private float[] start = [];   // [B, D] host copy of s0
    private int T, B;

    private readonly Action<KernelConfig, ArrayView<float>, int, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int, int> gemm;
    private readonly Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, int> shift;
    private readonly Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>,
        ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<uint>, int> evaluate;
    private readonly Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<uint>> stepSize;
    private readonly Action<Index1D, ArrayView<float>, ArrayView<float>, float> scaleStep;
    private readonly Action<Index1D, ArrayView<float>, ArrayView<float>, int> broadcast;
    private readonly Action<Index1D, ArrayView<float>, ArrayView<float>, int, int> takeHidden;
    private readonly Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int, int> step;
    private readonly Action<KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>,
        int, int, int, int, int, int> sequence;

    /// <summary>Uploads <c>{prefix}weight_ih_l0</c>, <c>weight_hh_l0</c>, <c>bias_ih_l0</c>, <c>bias_hh_l0</c> and compiles the kernels.</summary>
    public GpuDeer(GpuDevice device, CellKind cell, int inputSize, int hiddenSize, Parameters parameters, string prefix = "rnn.")
    {
        ArgumentNullException.ThrowIfNull(device);
        weights = new DeerCell(cell, inputSize, hiddenSize, parameters, prefix);
        this.device = device;
        this.cell = cell;
        acc = device.Accelerator;
        (I, H, G, D) = (weights.I, weights.H, weights.G, weights.D);
        float[] whh = weights.WeightHh;
        float[] diag = new float[G * H];
        for (int j = 0; j < G * H; j++)
            diag[j] = whh[j * H + j % H];   // each gate's W[k, k]
        weightIh = Upload(weights.WeightIh);
        biasIh = Upload(weights.BiasIh);
        weightHh = Upload(whh);
        biasHh = Upload(weights.BiasHh);
        diagonal = Upload(diag);
        scalar = acc.Allocate1D<uint>(1);
        scan = new GpuLinearScan(device);

        gemm = acc.LoadStreamKernel<ArrayView<float>, int, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int, int>(GpuKernels.Gemm);
        shift = acc.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, int>(GpuKernels.Shift);
        evaluate = acc.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>,
            ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<uint>, int>(cell == CellKind.Gru ? GpuKernels.GruDeer : GpuKernels.LstmDeer);
        stepSize = acc.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<uint>>(GpuKernels.StepSize);
        scaleStep = acc.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, float>(GpuKernels.ScaleStep);
        broadcast = acc.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, int>(GpuKernels.Broadcast);
        takeHidden = acc.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, int, int>(GpuKernels.TakeHidden);
        step = acc.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int, int>(GpuKernels.Step);
        sequence = acc.LoadStreamKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>,
            int, int, int, int, int, int>(GpuKernels.Sequence);
    }

    /// <summary>Takes the weights of a one-layer, unidirectional GRU or LSTM stack without projection.</summary>
    public GpuDeer(GpuDevice device, RecurrentStack stack, Parameters parameters, string prefix = "rnn.")
        : this(device, DeerCell.Evaluable(stack).Options.Cell, stack.Options.InputSize, stack.Options.HiddenSize, parameters, prefix)
    {
    }

    private MemoryBuffer1D<float, Stride1D.Dense> Upload(float[] values)
    {
        var buffer = acc.Allocate1D<float>(Math.Max(1, values.Length));
        buffer.View.SubView(0, values.Length).CopyFromCPU(values);
        return buffer;
    }

    /// <summary>Width of the state s: H for a GRU, 2H ([h, c]) for an LSTM.</summary>
    public int StateSize => D;

    /// <summary>Largest B·H of <see cref="GpuSequentialKernel.OneGroup"/>: at least one thread per output, in one group.</summary>
    public int OneGroupMaxState => Math.Min(GpuKernels.SequenceMaxState, device.MaxGroupSize);

    /// <summary>
    /// Uploads x: <c>[T, B, I]</c>, h0 and c0 (c0 LSTM only): empty (zero) or <c>[B, H]</c>, and computes
    /// gx = x W_ihᵀ + b_ih for all rows (one GEMM) — the part the sequential loop and DEER share.
    /// </summary>
    public void Load(ReadOnlySpan<float> input, int steps, int batch, ReadOnlySpan<float> h0, ReadOnlySpan<float> c0 = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(steps, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(batch, 1);
        int rows = steps * batch;
        if (input.Length != rows * I)
            throw new ArgumentException($"x has {input.Length} values; expected T·B·I = {rows * I}.", nameof(input));
        if (start.Length < batch * D)
            start = new float[batch * D];
        weights.Start(batch, h0, c0, start);
        T = steps;
        B = batch;
        Grow(ref x, (long)rows * I);
        Grow(ref gx, (long)rows * G * H);
        Grow(ref gh, (long)rows * G * H);
        Grow(ref s0, B * D);
        x!.View.SubView(0, (long)rows * I).CopyFromCPU(ref MemoryMarshal.GetReference(input), (long)rows * I);
        s0!.View.SubView(0, B * D).CopyFromCPU(ref start[0], B * D);
        Gemm(x.View, I, weightIh.View, biasIh.View, gx!.View, rows, G * H, I);
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

    /// <summary>The T steps one after another: s_t = cell(x_t, s_{t−1}) for all B sequences; the states stay on the device.</summary>
    public void RunSequential(GpuSequentialKernel kernel = GpuSequentialKernel.Auto)
    {
        EnsureLoaded();
        int rows = T * B, outputs = B * H, width = B * D;
        Grow(ref state, (long)rows * D);
        bool fits = outputs <= OneGroupMaxState;
        if (kernel == GpuSequentialKernel.OneGroup && !fits)
            throw new ArgumentException($"One group holds B·H ≤ {OneGroupMaxState}; this sequence has {outputs}.", nameof(kernel));
        int lstm = cell == CellKind.Lstm ? 1 : 0;
        if (kernel == GpuSequentialKernel.OneGroup || (kernel == GpuSequentialKernel.Auto && fits && H <= 32))
        {
            // As many lanes per output (a power of two ≤ 32) as one group allows.
            int lanes = 32;
            while (lanes > 1 && outputs * lanes > device.MaxGroupSize)
                lanes /= 2;
            int threads = Math.Max(32, (outputs * lanes + 31) / 32 * 32);
            sequence(new KernelConfig(1, threads), gx!.View, weightHh.View, biasHh.View, s0!.View, state!.View, T, B, H, D, lstm, lanes);
        }
        else
        {
            for (int t = 0; t < T; t++)
            {
                var sPrev = t == 0 ? s0!.View.SubView(0, width) : state!.View.SubView((long)(t - 1) * width, width);
                step(outputs * 32, gx!.View.SubView((long)t * B * G * H, B * G * H), weightHh.View, biasHh.View, sPrev,
                    state!.View.SubView((long)t * width, width), H, D, lstm);
            }
        }
        result = state;
    }

    /// <summary>
    /// Quasi-DEER (or its damped variant) from the guess s_t = s0: each iteration evaluates f and diag J at the shifted
    /// guess for all rows, then solves s_t = jd_t ⊙ s_{t−1} + (f_t − jd_t ⊙ s̄_{t−1}) by a chunked scan. Stops when
    /// max |s − f(s)| ≤ tolerance; falls back to <see cref="RunSequential"/> when MaxIterations pass first.
    /// </summary>
    public DeerResult RunDeer(DeerOptions? options = null)
    {
        options ??= new DeerOptions();
        if (options.Variant == DeerVariant.Full)
            throw new ArgumentException("The accelerator runs quasi-DEER and its damped variant; full DEER runs on the CPU (Deer).", nameof(options));
        EnsureLoaded();
        int rows = T * B, n = B * D;
        long size = (long)rows * D;
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

        broadcast((int)size, s0!.View, state!.View, n);   // the first guess: every s_t = s0
        int cap = options.MaxIterations > 0 ? options.MaxIterations : T;
        float residual = Evaluate(state!, f!, jd!, rhs!);
        int iterations = 0, evaluations = 1;
        var region = new TrustRegion(options.InitialRadius);
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
            float stepSize = MaxStep(state!, trial!, size);
            float alpha = region.Scale(stepSize);
            if (alpha < 1f)
                scaleStep((int)size, state!.View.SubView(0, size), trial!.View.SubView(0, size), alpha);
            float trialResidual = Evaluate(trial!, fTrial!, jdTrial!, rhsTrial!);
            evaluations++;
            if (region.Accept(trialResidual, residual, alpha, stepSize))
            {
                (state, trial) = (trial, state);
                (f, fTrial) = (fTrial, f);
                (jd, jdTrial) = (jdTrial, jd);
                (rhs, rhsTrial) = (rhsTrial, rhs);
                residual = trialResidual;
            }
            else if (region.Exhausted)   // the residual's rounding floor: fall back now, not at the cap
            {
                break;
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
        int rows = T * B;
        shift((int)((long)rows * D), guess.View, s0!.View, prev!.View, B * D);
        Gemm(prev!.View, D, weightHh.View, biasHh.View, gh!.View, rows, G * H, H);   // the h part of each state row
        scalar.View.MemSetToZero();
        evaluate((int)((long)rows * H), gx!.View, gh!.View, prev!.View, guess.View, diagonal.View, fOut.View, jdOut.View, rhsOut.View, scalar.View, H);
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
        long count = (long)T * B * H;
        if (y.Length != count)
            throw new ArgumentException($"y has {y.Length} values; expected T·B·H = {count}.", nameof(y));
        var source = result;
        if (D != H)
        {
            Grow(ref hidden, count);
            takeHidden((int)count, result.View, hidden!.View, H, D);
            source = hidden!;
        }
        source.View.SubView(0, count).CopyToCPU(ref MemoryMarshal.GetReference(y), count);
    }

    /// <summary>Waits for the device (for timing).</summary>
    public void Synchronize() => device.Synchronize();

    /// <inheritdoc/>
    public void Dispose()
    {
        foreach (var buffer in new[] { weightIh, biasIh, weightHh, biasHh, diagonal, x, gx, gh, prev, state, trial, f, jd, rhs,
                     fTrial, jdTrial, rhsTrial, s0, hidden })
            buffer?.Dispose();
        scalar.Dispose();
        scan.Dispose();
    }
}
