using System.Diagnostics;
using System.Numerics.Tensors;
using Baton.Gpu;
using Baton.Layers;
using Baton.Numerics;
using Baton.Parallel;

namespace Baton.Lab;

/// <summary>
/// Is h_t computed serially? Over sequence lengths T and widths H (input size I = H), measures (1) training tokens/s of
/// the sequential GRU against the parallel-in-time minGRU (one step = forward, mean(y²), backward, as the bench rows),
/// and (2) evaluation tokens/s of a GRU (or LSTM) run step by step against DEER / quasi-DEER / damped quasi-DEER on the
/// same weights, with DEER's iteration count and max-abs error against the sequential output; with an accelerator, the
/// same cell is also evaluated there (one launch per step, one thread group for the whole sequence, quasi-DEER and
/// damped quasi-DEER). Each figure is the median of timed repeats after one untimed warm-up; the two training steps are
/// timed in turn, so that their ratio holds on a machine whose speed drifts.
/// </summary>
internal static class ParallelLab
{
    /// <summary>Largest H for full DEER (its D×D Jacobians per step make it O(T·H²) memory and work per iteration).</summary>
    public const int FullDeerMaxHidden = 32;

    /// <summary>Measures the grid point (<paramref name="T"/>, <paramref name="H"/>); <paramref name="accelerator"/> may be null.</summary>
    public static ParallelRow Measure(int T, int H, ParallelSettings s, GpuDevice? accelerator)
    {
        var (gru, minGru) = s.Train ? TrainTokensPerSecond(T, H, s) : (double.NaN, double.NaN);

        // Evaluation: a GRU (or LSTM) of the same shape, sequential (RecurrentStack.Forward) against DEER.
        int B = s.EvalBatch;
        var parameters = new Parameters();
        var stack = new RecurrentStack(new RecurrentOptions(s.EvalCell, H, H), parameters);
        parameters.Freeze();
        var rng = new Rng(s.Seed);
        stack.ResetParameters(rng);
        var x = Random(rng, T * B * H);
        var ws = stack.CreateWorkspace(T, B);
        var reference = new float[T * B * H];
        double seq = T * B / Seconds(() => stack.Forward(ws, x, T, B, [], [], [], reference, [], []), s);
        var deer = new Deer(stack, parameters);
        var y = new float[T * B * H];
        DeerRun Run(DeerVariant variant)
        {
            DeerResult result = default!;
            double seconds = Seconds(() => result = deer.Evaluate(x, T, B, [], [], y, new DeerOptions(variant, s.MaxIterations)), s);
            return new DeerRun(variant.ToString().ToLowerInvariant(), T * B / seconds, result.Iterations, result.Evaluations,
                result.Converged, result.FellBack, MaxError(y, reference));
        }
        return new ParallelRow(T, H, gru, minGru, seq, Run(DeerVariant.Quasi), Run(DeerVariant.Damped),
            H <= FullDeerMaxHidden ? Run(DeerVariant.Full) : null,
            accelerator is null ? null : MeasureAccelerator(accelerator, stack, parameters, x, reference, y, T, B, H, s));
    }

    /// <summary>Smallest T of the grid from which <paramref name="faster"/> beats <paramref name="slower"/> at every larger T too; null when never.</summary>
    public static int? Crossover(IEnumerable<ParallelRow> rows, Func<ParallelRow, double> faster, Func<ParallelRow, double> slower)
    {
        int? crossover = null;
        foreach (var row in rows.OrderByDescending(r => r.T))
        {
            if (faster(row) > slower(row))
                crossover = row.T;
            else
                break;
        }
        return crossover;
    }

    // Timed from the uploaded gx = x W_ihᵀ + b_ih (shared by every method) to h in device memory, synchronized.
    private static GpuRow MeasureAccelerator(GpuDevice accelerator, RecurrentStack stack, Parameters parameters, float[] x, float[] reference,
        float[] y, int T, int B, int H, ParallelSettings s)
    {
        using var gru = new GpuDeer(accelerator, stack, parameters);
        gru.Load(x, T, B, []);
        double perStep = T * B / Seconds(() => { gru.RunSequential(GpuSequentialKernel.LaunchPerStep); gru.Synchronize(); }, s);
        gru.ReadOutput(y);
        double error = MaxError(y, reference);
        double? oneGroup = null;
        if (B * H <= gru.OneGroupMaxState)
        {
            oneGroup = T * B / Seconds(() => { gru.RunSequential(GpuSequentialKernel.OneGroup); gru.Synchronize(); }, s);
            gru.ReadOutput(y);
            error = Math.Max(error, MaxError(y, reference));
        }
        DeerRun Run(DeerVariant variant)
        {
            DeerResult result = default!;
            double seconds = Seconds(() => { result = gru.RunDeer(new DeerOptions(variant, s.MaxIterations)); gru.Synchronize(); }, s);
            gru.ReadOutput(y);
            return new DeerRun(variant.ToString().ToLowerInvariant(), T * B / seconds, result.Iterations, result.Evaluations,
                result.Converged, result.FellBack, MaxError(y, reference));
        }
        return new GpuRow(perStep, oneGroup, error, Run(DeerVariant.Quasi), Run(DeerVariant.Damped));
    }

    private static double MaxError(float[] y, float[] reference)
    {
        float error = 0;
        for (int i = 0; i < y.Length; i++)
            error = Math.Max(error, Math.Abs(y[i] - reference[i]));
        return error;
    }

    // GRU and minGRU training steps of the same shape, timed in turn (GRU, minGRU, GRU, …) so that both medians come from
    // the same stretches of time and their ratio holds while a shared machine's speed drifts; at least three pairs.
    private static (double Gru, double MinGru) TrainTokensPerSecond(int T, int H, ParallelSettings s)
    {
        var gru = TrainingStep(CellKind.Gru, T, H, s);
        var minGru = TrainingStep(CellKind.MinGru, T, H, s);
        gru();
        minGru();
        var gruTimes = new List<double>();
        var minGruTimes = new List<double>();
        var total = Stopwatch.StartNew();
        do
        {
            gruTimes.Add(Time(gru));
            minGruTimes.Add(Time(minGru));
        }
        while (gruTimes.Count < Math.Min(3, s.MaxRepeats)
            || (gruTimes.Count < s.MaxRepeats && total.Elapsed.TotalSeconds < 2 * s.MinSeconds));
        int B = s.Batch;
        return (T * B / Median(gruTimes), T * B / Median(minGruTimes));
    }

    private static Action TrainingStep(CellKind cell, int T, int H, ParallelSettings s)
    {
        int B = s.Batch;
        var parameters = new Parameters();
        var stack = new RecurrentStack(new RecurrentOptions(cell, H, H), parameters);
        parameters.Freeze();
        var rng = new Rng(s.Seed);
        stack.ResetParameters(rng);
        var x = Random(rng, T * B * H);
        var ws = stack.CreateWorkspace(T, B);
        var y = new float[T * B * H];
        var dy = new float[y.Length];
        float scale = 2f / y.Length;
        return () =>
        {
            stack.ForwardKeepingInput(ws, x, T, B, [], [], [], y, [], [], training: true);
            TensorPrimitives.Multiply(y, scale, dy);
            parameters.ZeroGrad();
            stack.Backward(ws, dy, [], [], [], [], []);
        };
    }

    private static double Time(Action work)
    {
        var watch = Stopwatch.StartNew();
        work();
        return watch.Elapsed.TotalSeconds;
    }

    private static double Median(List<double> times)
    {
        times.Sort();
        return times[times.Count / 2];
    }

    private static float[] Random(Rng rng, int count)
    {
        var values = new float[count];
        for (int i = 0; i < count; i++)
            values[i] = rng.Uniform(-1f, 1f);
        return values;
    }

    // One untimed warm-up, then the median of repeats (until MinSeconds of timing or MaxRepeats).
    private static double Seconds(Action work, ParallelSettings s)
    {
        work();
        var times = new List<double>();
        var total = Stopwatch.StartNew();
        do
            times.Add(Time(work));
        while (times.Count < s.MaxRepeats && total.Elapsed.TotalSeconds < s.MinSeconds);
        return Median(times);
    }
}

/// <summary>
/// The settings of <see cref="ParallelLab"/>: training batch, evaluation batch, DEER's iteration cap, the seed of weights and
/// inputs, the timing budget (repeat until <paramref name="MinSeconds"/> of timing or <paramref name="MaxRepeats"/> repeats),
/// whether to time training, and the evaluated cell (GRU or LSTM).
/// </summary>
internal sealed record ParallelSettings(int Batch, int EvalBatch, int MaxIterations, ulong Seed, double MinSeconds, int MaxRepeats, bool Train,
    CellKind EvalCell);

/// <summary>One DEER variant's evaluation: tokens/s, iterations, cell evaluations, convergence, fallback and max |y − y_seq|.</summary>
internal sealed record DeerRun(string Variant, double TokensPerSecond, int Iterations, int Evaluations, bool Converged, bool FellBack, double Error);

/// <summary>Accelerator evaluation: the sequential kernels (one group: null where B·H does not fit one), their faster, and DEER.</summary>
internal sealed record GpuRow(double LaunchPerStep, double? OneGroup, double SequentialError, DeerRun Quasi, DeerRun Damped)
{
    /// <summary>The faster of the two sequential kernels, tokens/s.</summary>
    public double Sequential => Math.Max(LaunchPerStep, OneGroup ?? 0);
}

/// <summary>
/// One grid point: T, H, GRU and minGRU training tokens/s (NaN when <see cref="ParallelSettings.Train"/> is off), the
/// sequential evaluation tokens/s, the DEER variants (<see cref="Full"/> null above <see cref="ParallelLab.FullDeerMaxHidden"/>) and the
/// accelerator's figures (null without one).
/// </summary>
internal sealed record ParallelRow(int T, int H, double GruTrain, double MinGruTrain, double SeqEval, DeerRun Quasi, DeerRun Damped, DeerRun? Full, GpuRow? Gpu);
