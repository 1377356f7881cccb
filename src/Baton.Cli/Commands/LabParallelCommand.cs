using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Numerics.Tensors;
using System.Text;
using System.Text.Json.Nodes;
using Baton.Cli.Cli;
using Baton.Gpu;
using Baton.IO;
using Baton.Layers;
using Baton.Numerics;
using Baton.Parallel;
using ScottPlot;

namespace Baton.Cli.Commands;

/// <summary>
/// <c>baton lab parallel</c>: is h_t computed serially? Measures, over a grid of sequence lengths T and widths H,
/// (1) training tokens/s of the sequential GRU against the parallel-in-time minGRU (one step = forward, mean(y²),
/// backward, as the bench rows), and (2) evaluation tokens/s of a GRU (<c>--eval-cell lstm</c>: an LSTM) run step by
/// step against DEER / quasi-DEER / damped quasi-DEER on the same weights, with DEER's iteration count and max-abs
/// error against the sequential output. With <c>--device</c>, the same cell is also evaluated on an accelerator (ILGPU: CUDA, or its CPU
/// emulation): step by step (one launch per step, and one thread group for the whole sequence) against quasi-DEER
/// and damped quasi-DEER. Reports the crossover T per H, a table, a CSV and a PNG.
/// </summary>
internal static class LabParallelCommand
{
    private static readonly int[] DefaultLengths = [128, 512, 2048, 8192, 16384];
    private static readonly int[] DefaultHiddens = [8, 32, 128, 256];
    private static readonly int[] QuickLengths = [64, 256];
    private static readonly int[] QuickHiddens = [8, 16];

    /// <summary>Largest H for full DEER (its D×D Jacobians per step make it O(T·H²) memory and work per iteration).</summary>
    private const int FullDeerMaxHidden = 32;

    /// <summary>Minimum timed seconds per measurement (repeats until reached, at most <see cref="MaxRepeats"/>).</summary>
    private const double MinSeconds = 0.3;

    private const int MaxRepeats = 5;

    public static Command Create()
    {
        var lengths = new Option<string?>("--length") { Description = "Sequence lengths T, comma list (default 128,512,2048,8192,16384)" };
        var hiddens = new Option<string?>("--hidden") { Description = "Hidden sizes H (= input size I), comma list (default 8,32,128,256)" };
        var batch = CliOptions.Int("--batch", "Sequences per training step", 8, max: 65_536);
        var evalBatch = CliOptions.Int("--eval-batch", "Sequences per evaluation (DEER's case is one long sequence)", 1, max: 65_536);
        var maxIterations = CliOptions.Int("--max-iterations", "DEER iterations before falling back to the sequential loop", 200);
        var seed = CliOptions.Int("--seed", "Seed of weights and inputs", 1, min: 0, max: int.MaxValue);
        var quick = new Option<bool>("--quick") { Description = "A tiny grid (T 64,256; H 8,16) for tests and smoke runs" };
        var outDir = new Option<string?>("--out") { Description = "Folder for parallel.csv and parallel.png (none = no files)" };
        var device = new Option<string?>("--device")
        {
            Description = "Also evaluate on an accelerator: cuda (an NVIDIA GPU through ILGPU) or cpu (ILGPU's emulation, slow)",
        };
        device.AcceptOnlyFromAmong("cuda", "cpu");
        var evalOnly = new Option<bool>("--eval-only") { Description = "Skip the training columns (GRU vs minGRU)" };
        var evalCell = new Option<string>("--eval-cell")
        {
            Description = "The trained cell evaluated sequentially and by DEER: gru or lstm",
            DefaultValueFactory = _ => "gru",
        };
        evalCell.AcceptOnlyFromAmong("gru", "lstm");
        var command = new Command("parallel",
            "Tokens/s of sequential GRU vs minGRU training and of sequential vs DEER evaluation over T and H, with crossover points.")
        {
            lengths, hiddens, batch, evalBatch, maxIterations, seed, quick, outDir, device, evalOnly, evalCell,
        };
        command.SetAction(parse =>
        {
            var output = new Output(parse);
            bool isQuick = parse.GetValue(quick);
            int[] ts = parse.GetValue(lengths) is { } lt ? LabOptions.ParseLengths(lt, "--length") : isQuick ? QuickLengths : DefaultLengths;
            int[] hs = parse.GetValue(hiddens) is { } ht ? ParseSizes(ht) : isQuick ? QuickHiddens : DefaultHiddens;
            MemoryEstimate.CheckLab(Math.Max(parse.GetValue(batch), parse.GetValue(evalBatch)), ts.Max(), hs.Max(), "--length, --hidden, --batch and --eval-batch");
            var settings = new Settings(parse.GetValue(batch), parse.GetValue(evalBatch), parse.GetValue(maxIterations),
                (ulong)parse.GetValue(seed), isQuick ? 0.0 : MinSeconds, isQuick ? 1 : MaxRepeats, !parse.GetValue(evalOnly),
                parse.GetValue(evalCell) == "lstm" ? CellKind.Lstm : CellKind.Gru);

            using var accelerator = OpenDevice(parse.GetValue(device));
            if (accelerator is not null)
                output.Status($"accelerator: {accelerator.Name}");
            var rows = new List<Row>();
            foreach (int H in hs)
            {
                foreach (int T in ts)
                {
                    var row = Measure(T, H, settings, accelerator);
                    rows.Add(row);
                    output.Status($"T={T,6} H={H,4}: train GRU {Number(row.GruTrain),10} minGRU {Number(row.MinGruTrain),10} tok/s | eval seq {row.SeqEval,10:F0} " +
                        $"quasi {row.Quasi.TokensPerSecond,10:F0} ({row.Quasi.Iterations} it, err {row.Quasi.Error:E1}{(row.Quasi.FellBack ? ", fell back" : "")})" +
                        (row.Gpu is { } g ? $" | {Kind(accelerator!)} seq {g.Sequential,10:F0} quasi {g.Quasi.TokensPerSecond,10:F0} ({g.Quasi.Iterations} it, err {g.Quasi.Error:E1})" : ""));
                }
            }
            PrintTable(output, rows, settings, accelerator);
            var json = ToJson(rows, ts, hs, settings, accelerator);
            string? dir = parse.GetValue(outDir);
            if (dir is not null)
            {
                Directory.CreateDirectory(dir);
                string csv = Path.Combine(dir, "parallel.csv");
                string png = Path.Combine(dir, "parallel.png");
                AtomicFile.WriteAllText(csv, ToCsv(rows));
                Plot(png, rows, hs, settings, accelerator);
                json["files"] = new JsonArray(csv, png);
                output.Status($"wrote {csv}, {png}");
            }
            output.Result(json);
            return ExitCodes.Ok;
        });
        return command;
    }

    private sealed record Settings(int Batch, int EvalBatch, int MaxIterations, ulong Seed, double MinSeconds, int MaxRepeats, bool Train,
        CellKind EvalCell);

    private sealed record DeerRun(string Variant, double TokensPerSecond, int Iterations, int Evaluations, bool Converged, bool FellBack, double Error);

    /// <summary>Accelerator evaluation: the sequential kernels (one group: null where B·H does not fit one), their faster, and DEER.</summary>
    private sealed record GpuRow(double LaunchPerStep, double? OneGroup, double SequentialError, DeerRun Quasi, DeerRun Damped)
    {
        public double Sequential => Math.Max(LaunchPerStep, OneGroup ?? 0);
    }

    private sealed record Row(int T, int H, double GruTrain, double MinGruTrain, double SeqEval, DeerRun Quasi, DeerRun Damped, DeerRun? Full, GpuRow? Gpu);

    private static GpuDevice? OpenDevice(string? name)
    {
        if (name is null)
            return null;
        try
        {
            return GpuDevice.Open(name == "cuda" ? GpuDeviceKind.Cuda : GpuDeviceKind.Cpu);
        }
        catch (InvalidOperationException e)
        {
            throw new CliError($"--device {name}: {e.Message}");
        }
    }

    private static string Kind(GpuDevice device) => device.IsCuda ? "gpu" : "emul";

    private static int[] ParseSizes(string text)
    {
        var values = new List<int>();
        foreach (string part in text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            if (!CliOptions.TryInt(part, "--hidden", 1, CliOptions.MaxWidth, out int value, out string error))
                throw new CliError(error);
            if (!values.Contains(value))
                values.Add(value);
        }
        if (values.Count == 0)
            throw new CliError("--hidden: give at least one size.");
        return values.ToArray();
    }

    private static Row Measure(int T, int H, Settings s, GpuDevice? accelerator)
    {
        double gru = s.Train ? TrainTokensPerSecond(CellKind.Gru, T, H, s) : double.NaN;
        double minGru = s.Train ? TrainTokensPerSecond(CellKind.MinGru, T, H, s) : double.NaN;

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
        return new Row(T, H, gru, minGru, seq, Run(DeerVariant.Quasi), Run(DeerVariant.Damped),
            H <= FullDeerMaxHidden ? Run(DeerVariant.Full) : null,
            accelerator is null ? null : MeasureAccelerator(accelerator, stack, parameters, x, reference, y, T, B, H, s));
    }

    // Timed from the uploaded gx = x W_ihᵀ + b_ih (shared by every method) to h in device memory, synchronized.
    private static GpuRow MeasureAccelerator(GpuDevice accelerator, RecurrentStack stack, Parameters parameters, float[] x, float[] reference,
        float[] y, int T, int B, int H, Settings s)
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

    private static double TrainTokensPerSecond(CellKind cell, int T, int H, Settings s)
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
        return T * B / Seconds(() =>
        {
            stack.ForwardKeepingInput(ws, x, T, B, [], [], [], y, [], [], training: true);
            TensorPrimitives.Multiply(y, scale, dy);
            parameters.ZeroGrad();
            stack.Backward(ws, dy, [], [], [], [], []);
        }, s);
    }

    private static float[] Random(Rng rng, int count)
    {
        var values = new float[count];
        for (int i = 0; i < count; i++)
            values[i] = rng.Uniform(-1f, 1f);
        return values;
    }

    // One untimed warm-up, then the median of repeats (until MinSeconds of timing or MaxRepeats).
    private static double Seconds(Action work, Settings s)
    {
        work();
        var times = new List<double>();
        var total = Stopwatch.StartNew();
        do
        {
            var watch = Stopwatch.StartNew();
            work();
            times.Add(watch.Elapsed.TotalSeconds);
        }
        while (times.Count < s.MaxRepeats && total.Elapsed.TotalSeconds < s.MinSeconds);
        times.Sort();
        return times[times.Count / 2];
    }

    /// <summary>Smallest T of the grid from which <paramref name="faster"/> beats <paramref name="slower"/> at every larger T too; null when never.</summary>
    private static int? Crossover(IEnumerable<Row> rows, Func<Row, double> faster, Func<Row, double> slower)
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

    private static string Number(double v) => double.IsNaN(v) ? "-" : v.ToString("F0", CultureInfo.InvariantCulture);

    private static void PrintTable(Output output, List<Row> rows, Settings s, GpuDevice? accelerator)
    {
        output.Line("training tokens/s (forward + backward) and evaluation tokens/s; DEER: iterations, max |y − y_seq|");
        string Deer(DeerRun? d) => d is null ? $"{"-",10} {"-",4} {"-",8}"
            : $"{d.TokensPerSecond,10:F0} {d.Iterations,4} {(d.FellBack ? "fallback" : d.Error.ToString("E1", CultureInfo.InvariantCulture)),8}";
        string gpuHeader = accelerator is null ? "" : $" | {Kind(accelerator) + " launch",11} {"1 group",10} {"quasi",10} {"it",4} {"err",8} {"damped",10} {"it",4} {"err",8}";
        output.Line($"{"H",5} {"T",6} | {"GRU train",10} {"minGRU",10} {"×",6} | {"seq eval",10} {"quasi",10} {"it",4} {"err",8} | {"damped",10} {"it",4} {"err",8} | {"full",10} {"it",4} {"err",8}{gpuHeader}");
        foreach (var r in rows)
        {
            string gpu = r.Gpu is not { } g ? "" : $" | {g.LaunchPerStep,11:F0} {(g.OneGroup is { } o ? Number(o) : "-"),10} {Deer(g.Quasi)} {Deer(g.Damped)}";
            output.Line($"{r.H,5} {r.T,6} | {Number(r.GruTrain),10} {Number(r.MinGruTrain),10} {(s.Train ? (r.MinGruTrain / r.GruTrain).ToString("F1", CultureInfo.InvariantCulture) : "-"),6} | " +
                $"{r.SeqEval,10:F0} {Deer(r.Quasi)} | {Deer(r.Damped)} | {Deer(r.Full)}{gpu}");
        }
        string Show(int? t) => t is { } v ? $"from T = {v} on" : "at no T of this grid";
        foreach (var group in rows.GroupBy(r => r.H))
        {
            string train = !s.Train ? "" : $"minGRU trains faster than GRU {Show(Crossover(group, r => r.MinGruTrain, r => r.GruTrain))}; ";
            output.Line($"H={group.Key}: {train}quasi-DEER evaluates faster than the sequential loop {Show(Crossover(group, r => r.Quasi.TokensPerSecond, r => r.SeqEval))}");
            if (accelerator is not null)
                output.Line($"H={group.Key} on {accelerator.Name}: quasi-DEER evaluates faster than the faster sequential kernel " +
                    $"{Show(Crossover(group, r => r.Gpu!.Quasi.TokensPerSecond, r => r.Gpu!.Sequential))}");
        }
    }

    private static JsonObject ToJson(List<Row> rows, int[] ts, int[] hs, Settings s, GpuDevice? accelerator)
    {
        JsonObject Deer(DeerRun d) => new()
        {
            ["tok_s"] = d.TokensPerSecond, ["iterations"] = d.Iterations, ["evaluations"] = d.Evaluations,
            ["converged"] = d.Converged, ["fell_back"] = d.FellBack, ["max_abs_error"] = d.Error,
        };
        JsonNode? Value(double v) => double.IsNaN(v) ? null : JsonValue.Create(v);
        var results = new JsonArray();
        foreach (var r in rows)
        {
            var row = new JsonObject
            {
                ["T"] = r.T, ["H"] = r.H,
                ["gru_train_tok_s"] = Value(r.GruTrain), ["mingru_train_tok_s"] = Value(r.MinGruTrain), ["train_speedup"] = Value(r.MinGruTrain / r.GruTrain),
                ["sequential_eval_tok_s"] = r.SeqEval,
                ["quasi_deer"] = Deer(r.Quasi), ["damped_deer"] = Deer(r.Damped), ["full_deer"] = r.Full is null ? null : Deer(r.Full),
            };
            if (r.Gpu is { } g)
            {
                row["accelerator"] = new JsonObject
                {
                    ["launch_per_step_tok_s"] = g.LaunchPerStep, ["one_group_tok_s"] = g.OneGroup is { } o ? JsonValue.Create(o) : null,
                    ["sequential_max_abs_error"] = g.SequentialError, ["quasi_deer"] = Deer(g.Quasi), ["damped_deer"] = Deer(g.Damped),
                };
            }
            results.Add(row);
        }
        var crossovers = new JsonArray();
        foreach (var group in rows.GroupBy(r => r.H))
        {
            var crossover = new JsonObject
            {
                ["H"] = group.Key,
                ["mingru_train_from_T"] = s.Train ? Crossover(group, r => r.MinGruTrain, r => r.GruTrain) : null,
                ["quasi_deer_eval_from_T"] = Crossover(group, r => r.Quasi.TokensPerSecond, r => r.SeqEval),
            };
            if (accelerator is not null)
                crossover["accelerator_quasi_deer_eval_from_T"] = Crossover(group, r => r.Gpu!.Quasi.TokensPerSecond, r => r.Gpu!.Sequential);
            crossovers.Add(crossover);
        }
        return new JsonObject
        {
            ["lengths"] = new JsonArray(ts.Select(t => (JsonNode)t).ToArray()),
            ["hiddens"] = new JsonArray(hs.Select(h => (JsonNode)h).ToArray()),
            ["batch"] = s.Batch, ["eval_batch"] = s.EvalBatch, ["eval_cell"] = s.EvalCell.ToString().ToLowerInvariant(), ["threads"] = Threads.Count,
            ["accelerator"] = accelerator?.Name,
            ["results"] = results, ["crossovers"] = crossovers,
        };
    }

    private static string ToCsv(List<Row> rows)
    {
        var csv = new StringBuilder("T,H,gru_train_tok_s,mingru_train_tok_s,sequential_eval_tok_s," +
            "quasi_tok_s,quasi_iterations,quasi_error,quasi_fell_back,damped_tok_s,damped_iterations,damped_error,damped_fell_back," +
            "full_tok_s,full_iterations,full_error,full_fell_back," +
            "acc_launch_tok_s,acc_one_group_tok_s,acc_sequential_error,acc_quasi_tok_s,acc_quasi_iterations,acc_quasi_error,acc_quasi_fell_back," +
            "acc_damped_tok_s,acc_damped_iterations,acc_damped_error,acc_damped_fell_back\n");
        static string F(double v) => double.IsNaN(v) ? "" : v.ToString("G6", CultureInfo.InvariantCulture);
        static string D(DeerRun? d) => d is null ? ",,," : $"{F(d.TokensPerSecond)},{d.Iterations},{F(d.Error)},{(d.FellBack ? 1 : 0)}";
        static string A(GpuRow? g) => g is null ? ",,,,,,,,,,"
            : $"{F(g.LaunchPerStep)},{(g.OneGroup is { } o ? F(o) : "")},{F(g.SequentialError)},{D(g.Quasi)},{D(g.Damped)}";
        foreach (var r in rows)
            csv.AppendLine($"{r.T},{r.H},{F(r.GruTrain)},{F(r.MinGruTrain)},{F(r.SeqEval)},{D(r.Quasi)},{D(r.Damped)},{D(r.Full)},{A(r.Gpu)}");
        return csv.ToString();
    }

    // One colour per H; the pattern says which measurement (solid / dotted: sequential, dashed: parallel in time).
    private static void Plot(string path, List<Row> rows, int[] hs, Settings s, GpuDevice? accelerator)
    {
        var series = new List<Plots.Series>();
        for (int g = 0; g < hs.Length; g++)
        {
            int H = hs[g];
            var group = rows.Where(r => r.H == H).OrderBy(r => r.T).ToList();
            double[] x = group.Select(r => (double)r.T).ToArray();
            void Add(string label, Func<Row, double> value, LinePattern pattern, int colour) =>
                series.Add(new Plots.Series($"{label} H={H}", x, group.Select(value).ToArray(), colour, pattern));
            if (s.Train)
            {
                Add("GRU train", r => r.GruTrain, LinePattern.Solid, g);
                Add("minGRU train", r => r.MinGruTrain, LinePattern.Dashed, g);
            }
            Add("seq eval", r => r.SeqEval, LinePattern.Dotted, g);
            Add("quasi-DEER eval", r => r.Quasi.TokensPerSecond, LinePattern.DenselyDashed, g);
            if (accelerator is not null)   // the accelerator's lines in colours of their own
            {
                Add($"{Kind(accelerator)} seq eval", r => r.Gpu!.Sequential, LinePattern.Dotted, hs.Length + g);
                Add($"{Kind(accelerator)} quasi-DEER", r => r.Gpu!.Quasi.TokensPerSecond, LinePattern.DenselyDashed, hs.Length + g);
            }
        }
        Plots.Lines(path, "Sequential vs parallel in time: tokens/s by sequence length", "sequence length T", "tokens/s", series,
            logY: true, width: 1100, height: 640, logX: true);
    }
}
