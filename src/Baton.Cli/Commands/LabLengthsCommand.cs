using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Baton.Cli.Cli;
using Baton.Lab.Tasks;
using Baton.Lab;
using Baton.IO;
using Baton.Numerics;

namespace Baton.Cli.Commands;

/// <summary>
/// <c>baton lab lengths</c>: one set of weights, trained on sequences of length N/2..N, evaluated on N, 2N, 4N
/// and 8N — variable-length input and parameter sharing at work. A fully connected network over N steps has
/// an input of fixed width N·I and cannot even be applied to 2N.
/// </summary>
internal static class LabLengthsCommand
{
    private static readonly int[] Multiples = [1, 2, 4, 8];

    public static Command Create()
    {
        var task = CliOptions.Choice("--task", "Memory task", "recall", MemoryTask.Names);
        var cells = new Option<string>("--cell") { Description = "Cell, or a comma list", DefaultValueFactory = _ => "rnn,lstm,gru" };
        var trainLength = CliOptions.Int("--train-length", "Longest training sequence N (training draws lengths from N/2..N)", 20, min: 2);
        var hidden = CliOptions.Int("--hidden", "Hidden units H", 32, max: CliOptions.MaxWidth);
        var batch = CliOptions.Int("--batch", "Sequences per training step", 32, max: 65_536);
        var steps = CliOptions.Int("--steps", "Most training steps (stops early once solved at N)", 1500, max: 100_000_000);
        var lr = CliOptions.Float("--lr", "Adam learning rate", 0.003f, 1e-6f, 1f);
        var seed = CliOptions.Int("--seed", "Seed of initialisation and data", 1, min: 0, max: int.MaxValue);
        var testSize = CliOptions.Int("--test-size", "Held-out test sequences per length", 500);
        var outDir = new Option<string?>("--out") { Description = "Folder for lengths.csv" };
        var command = new Command("lengths", "Train on sequences up to length N, evaluate the same weights on N, 2N, 4N and 8N.")
        {
            task, cells, trainLength, hidden, batch, steps, lr, seed, testSize, outDir,
        };
        command.SetAction(parse =>
        {
            var output = new Output(parse);
            var memoryTask = MemoryTask.Create(parse.GetValue(task)!);
            string[] cellNames = LabOptions.ParseCells(parse.GetValue(cells)!);
            int N = parse.GetValue(trainLength);
            MemoryEstimate.CheckLab(Math.Max(parse.GetValue(batch), parse.GetValue(testSize)), 8.0 * N, parse.GetValue(hidden), "--train-length, --hidden, --batch and --test-size");
            int minLength = Math.Max(memoryTask.MinLength, N / 2);
            if (N < memoryTask.MinLength)
                throw new CliError($"--train-length: the {memoryTask.Name} task needs N ≥ {memoryTask.MinLength} (got {N}).");
            ulong seedValue = (ulong)parse.GetValue(seed);
            var options = new MemoryRunOptions
            {
                Hidden = parse.GetValue(hidden),
                Batch = parse.GetValue(batch),
                Steps = parse.GetValue(steps),
                LearningRate = parse.GetValue(lr),
                Seed = seedValue,
                MinLength = minLength,
            };
            string metric = memoryTask.IsRegression ? "mse" : "accuracy";
            int[] lengths = Multiples.Select(m => m * N).ToArray();
            var scores = new Dictionary<string, double[]>();
            var stepsTaken = new Dictionary<string, int>();
            foreach (string cell in cellNames)
            {
                var model = new MemoryModel(memoryTask, cell, options.Hidden, new Rng(seedValue));
                var (_, taken, _) = MemoryLab.Train(model, N, options, output.Quiet ? null : output.Status);
                stepsTaken[cell] = taken;
                scores[cell] = lengths.Select(T => model.Evaluate(
                    MemoryLab.Dataset(memoryTask, T, parse.GetValue(testSize), new Rng(seedValue ^ 0x7E57_7E57UL ^ (ulong)T))).Score).ToArray();
            }
            long parameters = new MemoryModel(memoryTask, cellNames[0], options.Hidden, new Rng(0)).Parameters.Count;

            output.Line($"{memoryTask.Name}: trained on lengths {minLength}..{N}; test {metric} (baseline {memoryTask.Baseline:F3}); the same weights at every length.");
            output.Line($"{"T",6} " + string.Join(' ', cellNames.Select(c => $"{c,9}")) + $" {"FNN over N steps",18}");
            for (int k = 0; k < lengths.Length; k++)
            {
                string fnn = k == 0 ? $"{N}·{memoryTask.Features}→H input" : "cannot: width fixed";
                output.Line($"{lengths[k],6} " + string.Join(' ', cellNames.Select(c => $"{scores[c][k],9:F4}")) + $" {fnn,18}");
            }

            var json = new JsonObject
            {
                ["task"] = memoryTask.Name,
                ["metric"] = metric,
                ["baseline"] = memoryTask.Baseline,
                ["train_lengths"] = new JsonArray(minLength, N),
                ["parameters"] = parameters,
                ["fully_connected_parameters_at_N"] = ParameterCount.FullyConnected(N, memoryTask.Features, options.Hidden),
                ["results"] = new JsonArray(cellNames.SelectMany(c => lengths.Select((T, k) => (JsonNode)new JsonObject
                {
                    ["cell"] = c,
                    ["length"] = T,
                    [metric] = scores[c][k],
                    ["train_steps"] = stepsTaken[c],
                })).ToArray()),
            };
            string? dir = parse.GetValue(outDir);
            if (dir is not null)
            {
                Directory.CreateDirectory(dir);
                string csv = Path.Combine(dir, "lengths.csv");
                var text = new StringBuilder($"cell,length,{metric},baseline\n");
                foreach (string c in cellNames)
                    for (int k = 0; k < lengths.Length; k++)
                        text.AppendLine(string.Join(',', c, lengths[k].ToString(CultureInfo.InvariantCulture),
                            scores[c][k].ToString("R", CultureInfo.InvariantCulture), memoryTask.Baseline.ToString("R", CultureInfo.InvariantCulture)));
                AtomicFile.WriteAllText(csv, text.ToString());
                json["files"] = new JsonArray(csv);
                output.Status($"wrote {csv}");
            }
            output.Result(json);
            return ExitCodes.Ok;
        });
        return command;
    }
}
