using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Numerics.Tensors;
using System.Text;
using System.Text.Json.Nodes;
using Baton.Cli.Cli;
using Baton.IO;
using Baton.Layers;
using Baton.Numerics;
using Baton.Parallel;

namespace Baton.Cli.Commands;

/// <summary>
/// <c>baton lab parallel</c>: is h_t computed serially? Measures, over a grid of sequence lengths T and widths H,
/// (1) training tokens/s of the sequential GRU against the parallel-in-time minGRU (one step = forward, mean(y²),
/// backward, as the bench rows), and (2) evaluation tokens/s of a GRU run step by step against DEER / quasi-DEER /
/// damped quasi-DEER on the same weights, with DEER's iteration count and max-abs error against the sequential
/// output. Reports the crossover T per H, a table, a CSV and a PNG.
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
        var batch = CliOptions.Int("--batch", "Sequences per training step", 8);
        var evalBatch = CliOptions.Int("--eval-batch", "Sequences per evaluation (DEER's case is one long sequence)", 1);
        var maxIterations = CliOptions.Int("--max-iterations", "DEER iterations before falling back to the sequential loop", 200);
        var seed = CliOptions.Int("--seed", "Seed of weights and inputs", 1, min: 0);
        var quick = new Option<bool>("--quick") { Description = "A tiny grid (T 64,256; H 8,16) for tests and smoke runs" };
        var outDir = new Option<string?>("--out") { Description = "Folder for parallel.csv and parallel.png (none = no files)" };
        var command = new Command("parallel",
            "Tokens/s of sequential GRU vs minGRU training and of sequential vs DEER evaluation over T and H, with crossover points.")
        {
            lengths, hiddens, batch, evalBatch, maxIterations, seed, quick, outDir,
        };
        command.SetAction(parse =>
        {
            var output = new Output(parse);
            bool isQuick = parse.GetValue(quick);
            int[] ts = parse.GetValue(lengths) is { } lt ? LabOptions.ParseLengths(lt, "--length") : isQuick ? QuickLengths : DefaultLengths;
            int[] hs = parse.GetValue(hiddens) is { } ht ? ParseSizes(ht) : isQuick ? QuickHiddens : DefaultHiddens;
            var settings = new Settings(parse.GetValue(batch), parse.GetValue(evalBatch), parse.GetValue(maxIterations),
                (ulong)parse.GetValue(seed), isQuick ? 0.0 : MinSeconds, isQuick ? 1 : MaxRepeats);

            var rows = new List<Row>();
            foreach (int H in hs)
            {
                foreach (int T in ts)
                {
                    var row = Measure(T, H, settings);
                    rows.Add(row);
                    output.Status($"T={T,6} H={H,4}: train GRU {row.GruTrain,10:F0} minGRU {row.MinGruTrain,10:F0} tok/s | eval seq {row.SeqEval,10:F0} " +
                        $"quasi {row.Quasi.TokensPerSecond,10:F0} ({row.Quasi.Iterations} it, err {row.Quasi.Error:E1}{(row.Quasi.FellBack ? ", fell back" : "")})");
                }
            }
            PrintTable(output, rows);
            var json = ToJson(rows, ts, hs, settings);
            string? dir = parse.GetValue(outDir);
            if (dir is not null)
            {
                Directory.CreateDirectory(dir);
                string csv = Path.Combine(dir, "parallel.csv");
                string png = Path.Combine(dir, "parallel.png");
                AtomicFile.WriteAllText(csv, ToCsv(rows));
                Plot(png, rows, hs);
                json["files"] = new JsonArray(csv, png);
                output.Status($"wrote {csv}, {png}");
            }
            output.Result(json);
            return ExitCodes.Ok;
        });
        return command;
    }

    private sealed record Settings(int Batch, int EvalBatch, int MaxIterations, ulong Seed, double MinSeconds, int MaxRepeats);

    private sealed record DeerRun(string Variant, double TokensPerSecond, int Iterations, int Evaluations, bool Converged, bool FellBack, double Error);

    private sealed record Row(int T, int H, double GruTrain, double MinGruTrain, double SeqEval, DeerRun Quasi, DeerRun Damped, DeerRun? Full);

    private static int[] ParseSizes(string text)
    {
        var values = new List<int>();
        foreach (string part in text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            if (!int.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out int value) || value < 1)
                throw new CliError($"--hidden: '{part}' is not a size ≥ 1.");
            if (!values.Contains(value))
                values.Add(value);
        }
        if (values.Count == 0)
            throw new CliError("--hidden: give at least one size.");
        return values.ToArray();
    }

    private static Row Measure(int T, int H, Settings s)
    {
        double gru = TrainTokensPerSecond(CellKind.Gru, T, H, s);
        double minGru = TrainTokensPerSecond(CellKind.MinGru, T, H, s);

        // Evaluation: the same trained-shape GRU, sequential (RecurrentStack.Forward) against DEER.
        int B = s.EvalBatch;
        var parameters = new Parameters();
        var stack = new RecurrentStack(new RecurrentOptions(CellKind.Gru, H, H), parameters);
        parameters.Freeze();
        var rng = new Rng(s.Seed);
        stack.ResetParameters(rng);
        var x = Random(rng, T * B * H);
        var ws = stack.CreateWorkspace(T, B);
        var reference = new float[T * B * H];
        double seq = T * B / Seconds(() => stack.Forward(ws, x, T, B, [], [], [], reference, [], []), s);
        var deer = new Deer(stack, parameters);
        DeerRun Run(DeerVariant variant)
        {
            var y = new float[T * B * H];
            DeerResult result = default!;
            double seconds = Seconds(() => result = deer.Evaluate(x, T, B, [], [], y, new DeerOptions(variant, s.MaxIterations)), s);
            float error = 0;
            for (int i = 0; i < y.Length; i++)
                error = Math.Max(error, Math.Abs(y[i] - reference[i]));
            return new DeerRun(variant.ToString().ToLowerInvariant(), T * B / seconds, result.Iterations, result.Evaluations,
                result.Converged, result.FellBack, error);
        }
        return new Row(T, H, gru, minGru, seq, Run(DeerVariant.Quasi), Run(DeerVariant.Damped),
            H <= FullDeerMaxHidden ? Run(DeerVariant.Full) : null);
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
            stack.Forward(ws, x, T, B, [], [], [], y, [], [], training: true);
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

    private static void PrintTable(Output output, List<Row> rows)
    {
        output.Line("training tokens/s (forward + backward) and evaluation tokens/s; DEER: iterations, max |y − y_seq|");
        output.Line($"{"H",5} {"T",6} | {"GRU train",10} {"minGRU",10} {"×",6} | {"seq eval",10} {"quasi",10} {"it",4} {"err",8} | {"damped",10} {"it",4} {"err",8} | {"full",10} {"it",4} {"err",8}");
        foreach (var r in rows)
        {
            string Deer(DeerRun? d) => d is null ? $"{"-",10} {"-",4} {"-",8}"
                : $"{d.TokensPerSecond,10:F0} {d.Iterations,4} {(d.FellBack ? "fallback" : d.Error.ToString("E1", CultureInfo.InvariantCulture)),8}";
            output.Line($"{r.H,5} {r.T,6} | {r.GruTrain,10:F0} {r.MinGruTrain,10:F0} {r.MinGruTrain / r.GruTrain,6:F1} | {r.SeqEval,10:F0} {Deer(r.Quasi)} | {Deer(r.Damped)} | {Deer(r.Full)}");
        }
        foreach (var group in rows.GroupBy(r => r.H))
        {
            string Show(int? t) => t is { } v ? $"from T = {v} on" : "at no T of this grid";
            output.Line($"H={group.Key}: minGRU trains faster than GRU {Show(Crossover(group, r => r.MinGruTrain, r => r.GruTrain))}; " +
                $"quasi-DEER evaluates faster than the sequential loop {Show(Crossover(group, r => r.Quasi.TokensPerSecond, r => r.SeqEval))}");
        }
    }

    private static JsonObject ToJson(List<Row> rows, int[] ts, int[] hs, Settings s)
    {
        JsonObject Deer(DeerRun d) => new()
        {
            ["tok_s"] = d.TokensPerSecond, ["iterations"] = d.Iterations, ["evaluations"] = d.Evaluations,
            ["converged"] = d.Converged, ["fell_back"] = d.FellBack, ["max_abs_error"] = d.Error,
        };
        var results = new JsonArray();
        foreach (var r in rows)
        {
            results.Add(new JsonObject
            {
                ["T"] = r.T, ["H"] = r.H,
                ["gru_train_tok_s"] = r.GruTrain, ["mingru_train_tok_s"] = r.MinGruTrain, ["train_speedup"] = r.MinGruTrain / r.GruTrain,
                ["sequential_eval_tok_s"] = r.SeqEval,
                ["quasi_deer"] = Deer(r.Quasi), ["damped_deer"] = Deer(r.Damped), ["full_deer"] = r.Full is null ? null : Deer(r.Full),
            });
        }
        var crossovers = new JsonArray();
        foreach (var group in rows.GroupBy(r => r.H))
        {
            crossovers.Add(new JsonObject
            {
                ["H"] = group.Key,
                ["mingru_train_from_T"] = Crossover(group, r => r.MinGruTrain, r => r.GruTrain),
                ["quasi_deer_eval_from_T"] = Crossover(group, r => r.Quasi.TokensPerSecond, r => r.SeqEval),
            });
        }
        return new JsonObject
        {
            ["lengths"] = new JsonArray(ts.Select(t => (JsonNode)t).ToArray()),
            ["hiddens"] = new JsonArray(hs.Select(h => (JsonNode)h).ToArray()),
            ["batch"] = s.Batch, ["eval_batch"] = s.EvalBatch, ["threads"] = Threads.Count,
            ["results"] = results, ["crossovers"] = crossovers,
        };
    }

    private static string ToCsv(List<Row> rows)
    {
        var csv = new StringBuilder("T,H,gru_train_tok_s,mingru_train_tok_s,sequential_eval_tok_s," +
            "quasi_tok_s,quasi_iterations,quasi_error,quasi_fell_back,damped_tok_s,damped_iterations,damped_error,damped_fell_back," +
            "full_tok_s,full_iterations,full_error,full_fell_back\n");
        static string F(double v) => v.ToString("G6", CultureInfo.InvariantCulture);
        static string D(DeerRun? d) => d is null ? ",,," : $"{F(d.TokensPerSecond)},{d.Iterations},{F(d.Error)},{(d.FellBack ? 1 : 0)}";
        foreach (var r in rows)
            csv.AppendLine($"{r.T},{r.H},{F(r.GruTrain)},{F(r.MinGruTrain)},{F(r.SeqEval)},{D(r.Quasi)},{D(r.Damped)},{D(r.Full)}");
        return csv.ToString();
    }

    private static void Plot(string path, List<Row> rows, int[] hs)
    {
        var series = new List<Plots.Series>();
        foreach (int H in hs)
        {
            var group = rows.Where(r => r.H == H).OrderBy(r => r.T).ToList();
            double[] x = group.Select(r => (double)r.T).ToArray();
            series.Add(new Plots.Series($"GRU train H={H}", x, group.Select(r => r.GruTrain).ToArray()));
            series.Add(new Plots.Series($"minGRU train H={H}", x, group.Select(r => r.MinGruTrain).ToArray()));
            series.Add(new Plots.Series($"seq eval H={H}", x, group.Select(r => r.SeqEval).ToArray()));
            series.Add(new Plots.Series($"quasi-DEER eval H={H}", x, group.Select(r => r.Quasi.TokensPerSecond).ToArray()));
        }
        Plots.Lines(path, "Sequential vs parallel in time: tokens/s by sequence length", "sequence length T", "tokens/s", series, logY: true);
    }
}
