using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Baton.Cli.Cli;
using Baton.Lab.Tasks;
using Baton.Lab;
using Baton.IO;

namespace Baton.Cli.Commands;

/// <summary>
/// <c>baton lab memory</c>: trains each cell on a memory task (adding, copy, recall) at each length and scores
/// it on held-out sequences against the input-blind baseline.
/// </summary>
internal static class LabMemoryCommand
{
    public static Command Create()
    {
        var task = CliOptions.Choice("--task", "Memory task", "adding", MemoryTask.Names);
        var lengths = new Option<string>("--length") { Description = "Sequence length T, or a comma list (e.g. 50,100,200)", DefaultValueFactory = _ => "100" };
        var cells = new Option<string>("--cell") { Description = "Cell, or a comma list (rnn, rnn_relu, lstm, gru, mingru, minlstm)", DefaultValueFactory = _ => "rnn,lstm,gru" };
        var seed = CliOptions.Int("--seed", "Seed of initialisation and data", 1, min: 0, max: int.MaxValue);
        var hidden = CliOptions.Int("--hidden", "Hidden units H", 32, max: CliOptions.MaxWidth);
        var batch = CliOptions.Int("--batch", "Sequences per training step", 32, max: 65_536);
        var steps = CliOptions.Int("--steps", "Most training steps per run (stops early once solved)", 3000, max: 100_000_000);
        var lr = CliOptions.Float("--lr", "Adam learning rate", 0.01f, 1e-6f, 1f);
        var clip = CliOptions.Float("--clip", "Global gradient-norm clip", 1f, 1e-6f, 1e6f);
        var minutes = CliOptions.Float("--minutes", "Wall-clock limit per run in minutes (0 = none)", 0f, 0f, 10_080f);
        var testSize = CliOptions.Int("--test-size", "Held-out test sequences", 1000);
        var outDir = new Option<string?>("--out") { Description = "Folder for memory.csv and, with several runs, memory.png" };
        var command = new Command("memory", "Train each cell on a memory task at each length and score it against the input-blind baseline.")
        {
            task, lengths, cells, seed, hidden, batch, steps, lr, clip, minutes, testSize, outDir,
        };
        command.SetAction(parse =>
        {
            var output = new Output(parse);
            string taskName = parse.GetValue(task)!;
            int[] ts = LabOptions.ParseLengths(parse.GetValue(lengths)!, "--length");
            string[] cellNames = LabOptions.ParseCells(parse.GetValue(cells)!);
            MemoryEstimate.CheckLab(Math.Max(parse.GetValue(batch), parse.GetValue(testSize)), ts.Max(), parse.GetValue(hidden), "--length, --hidden, --batch and --test-size");
            var probe = MemoryTask.Create(taskName);
            foreach (int t in ts)
                if (t < probe.MinLength)
                    throw new CliError($"--length: the {taskName} task needs T ≥ {probe.MinLength} (got {t}).");
            var options = new MemoryRunOptions
            {
                Hidden = parse.GetValue(hidden),
                Batch = parse.GetValue(batch),
                Steps = parse.GetValue(steps),
                LearningRate = parse.GetValue(lr),
                Clip = parse.GetValue(clip),
                TestSize = parse.GetValue(testSize),
                Seed = (ulong)parse.GetValue(seed),
                MaxSeconds = parse.GetValue(minutes) * 60.0,
            };
            string metric = probe.IsRegression ? "mse" : "accuracy";
            output.Status($"{taskName}: baseline {metric} {probe.Baseline:F3}; solved = {(probe.IsRegression ? $"mse < {MemoryLab.SolvedMse}" : $"accuracy ≥ {MemoryLab.SolvedAccuracy}")}");
            var results = new List<MemoryRunResult>();
            foreach (int T in ts)
            {
                foreach (string cell in cellNames)
                {
                    var r = MemoryLab.Run(taskName, cell, T, options, output.Quiet ? null : output.Status);
                    results.Add(r);
                    output.Status($"{cell} T={T}: {metric} {r.Score:F4} (baseline {r.Baseline:F4}) {(r.Solved ? "solved" : "not solved")} after {r.Steps} steps, {r.Seconds:F1} s");
                }
            }

            output.Line($"{"task",-7} {"cell",-8} {"T",6} {metric,10} {"baseline",10} {"solved",7} {"steps",6} {"seconds",8}");
            foreach (var r in results)
                output.Line($"{r.Task,-7} {r.Cell,-8} {r.Length,6} {r.Score,10:F4} {r.Baseline,10:F4} {(r.Solved ? "yes" : "no"),7} {r.Steps,6} {r.Seconds,8:F1}");

            JsonObject json = results.Count == 1
                ? ResultJson(results[0])
                : new JsonObject
                {
                    ["task"] = taskName,
                    ["baseline"] = probe.Baseline,
                    ["results"] = new JsonArray(results.Select(r => (JsonNode)ResultJson(r)).ToArray()),
                };
            string? dir = parse.GetValue(outDir);
            if (dir is not null)
            {
                Directory.CreateDirectory(dir);
                var files = new JsonArray();
                string csv = Path.Combine(dir, "memory.csv");
                WriteCsv(csv, results, metric);
                files.Add(csv);
                if (results.Count > 1)
                {
                    string png = Path.Combine(dir, "memory.png");
                    Plot(png, taskName, metric, probe.Baseline, results, ts, cellNames);
                    files.Add(png);
                }
                json["files"] = files;
                output.Status($"wrote {string.Join(", ", files.Select(f => f!.GetValue<string>()))}");
            }
            output.Result(json);
            return ExitCodes.Ok;
        });
        return command;
    }

    private static JsonObject ResultJson(MemoryRunResult r) => new()
    {
        ["task"] = r.Task,
        ["cell"] = r.Cell,
        ["length"] = r.Length,
        [r.IsRegression ? "mse" : "accuracy"] = r.Score,
        ["baseline"] = r.Baseline,
        ["solved"] = r.Solved,
        ["loss"] = r.Loss,
        ["steps"] = r.Steps,
        ["seconds"] = Math.Round(r.Seconds, 2),
    };

    private static void WriteCsv(string path, List<MemoryRunResult> results, string metric)
    {
        var csv = new StringBuilder($"task,cell,length,{metric},baseline,solved,steps,seconds\n");
        foreach (var r in results)
            csv.AppendLine(string.Join(',', r.Task, r.Cell, r.Length.ToString(CultureInfo.InvariantCulture),
                r.Score.ToString("R", CultureInfo.InvariantCulture), r.Baseline.ToString("R", CultureInfo.InvariantCulture),
                r.Solved ? "true" : "false", r.Steps.ToString(CultureInfo.InvariantCulture), r.Seconds.ToString("F2", CultureInfo.InvariantCulture)));
        AtomicFile.WriteAllText(path, csv.ToString());
    }

    private static void Plot(string path, string task, string metric, double baseline, List<MemoryRunResult> results, int[] ts, string[] cells)
    {
        double[] x = ts.Select(t => (double)t).ToArray();
        var series = cells.Select(c => new Plots.Series(c, x,
            ts.Select(t => results.First(r => r.Cell == c && r.Length == t).Score).ToArray())).ToList();
        series.Add(new Plots.Series("baseline (input-blind)", x, ts.Select(_ => baseline).ToArray()));
        Plots.Lines(path, $"{task}: test {metric} after training, by sequence length", "sequence length T", metric, series,
            logY: metric == "mse");
    }
}
