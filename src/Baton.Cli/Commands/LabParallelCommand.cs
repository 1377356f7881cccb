using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Baton.Cli.Cli;
using Baton.Gpu;
using Baton.IO;
using Baton.Numerics;
using Baton.Lab;
using Baton.Layers;
using ScottPlot;

namespace Baton.Cli.Commands;

/// <summary>
/// <c>baton lab parallel</c>: parses the grid, runs <see cref="ParallelLab"/> over it (sequential GRU against minGRU
/// training, sequential against DEER evaluation, and with <c>--device</c> the same on an accelerator through ILGPU) and
/// prints the crossover T per H, a table, a CSV and a PNG.
/// </summary>
internal static class LabParallelCommand
{
    private static readonly int[] DefaultLengths = [128, 512, 2048, 8192, 16384];
    private static readonly int[] DefaultHiddens = [8, 32, 128, 256];
    private static readonly int[] QuickLengths = [64, 256];
    private static readonly int[] QuickHiddens = [8, 16];

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
        var device = DeviceOption.Create("Also evaluate on an accelerator: cuda (an NVIDIA GPU through ILGPU) or emulate (ILGPU's CPU emulation, slow); cpu: the CPU engine alone");
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
            var settings = new ParallelSettings(parse.GetValue(batch), parse.GetValue(evalBatch), parse.GetValue(maxIterations),
                (ulong)parse.GetValue(seed), isQuick ? 0.0 : MinSeconds, isQuick ? 1 : MaxRepeats, !parse.GetValue(evalOnly),
                parse.GetValue(evalCell) == "lstm" ? CellKind.Lstm : CellKind.Gru);

            using var accelerator = DeviceOption.Open(DeviceOption.Read(parse, device));
            if (accelerator is not null)
                output.Status($"accelerator: {accelerator.Name}");
            var rows = new List<ParallelRow>();
            foreach (int H in hs)
            {
                foreach (int T in ts)
                {
                    var row = ParallelLab.Measure(T, H, settings, accelerator);
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

    private static string Number(double v) => double.IsNaN(v) ? "-" : v.ToString("F0", CultureInfo.InvariantCulture);

    private static void PrintTable(Output output, List<ParallelRow> rows, ParallelSettings s, GpuDevice? accelerator)
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
            string train = !s.Train ? "" : $"minGRU trains faster than GRU {Show(ParallelLab.Crossover(group, r => r.MinGruTrain, r => r.GruTrain))}; ";
            output.Line($"H={group.Key}: {train}quasi-DEER evaluates faster than the sequential loop {Show(ParallelLab.Crossover(group, r => r.Quasi.TokensPerSecond, r => r.SeqEval))}");
            if (accelerator is not null)
                output.Line($"H={group.Key} on {accelerator.Name}: quasi-DEER evaluates faster than the faster sequential kernel " +
                    $"{Show(ParallelLab.Crossover(group, r => r.Gpu!.Quasi.TokensPerSecond, r => r.Gpu!.Sequential))}");
        }
    }

    private static JsonObject ToJson(List<ParallelRow> rows, int[] ts, int[] hs, ParallelSettings s, GpuDevice? accelerator)
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
                ["mingru_train_from_T"] = s.Train ? ParallelLab.Crossover(group, r => r.MinGruTrain, r => r.GruTrain) : null,
                ["quasi_deer_eval_from_T"] = ParallelLab.Crossover(group, r => r.Quasi.TokensPerSecond, r => r.SeqEval),
            };
            if (accelerator is not null)
                crossover["accelerator_quasi_deer_eval_from_T"] = ParallelLab.Crossover(group, r => r.Gpu!.Quasi.TokensPerSecond, r => r.Gpu!.Sequential);
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

    private static string ToCsv(List<ParallelRow> rows)
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
    private static void Plot(string path, List<ParallelRow> rows, int[] hs, ParallelSettings s, GpuDevice? accelerator)
    {
        var series = new List<Plots.Series>();
        for (int g = 0; g < hs.Length; g++)
        {
            int H = hs[g];
            var group = rows.Where(r => r.H == H).OrderBy(r => r.T).ToList();
            double[] x = group.Select(r => (double)r.T).ToArray();
            void Add(string label, Func<ParallelRow, double> value, LinePattern pattern, int colour) =>
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
