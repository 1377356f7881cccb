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
/// <c>baton lab gradients</c>: the vanishing gradient, measured. For each cell, on adding-problem sequences of
/// length T with the loss at the last step: ‖∂L/∂h_t‖ and the exact Frobenius norm ‖∂h_T/∂h_t‖_F over the
/// distance T − t, at initialisation and after a short training, with the distance at which each falls below
/// 1e-6 of its value at T.
/// </summary>
internal static class LabGradientsCommand
{
    public static Command Create()
    {
        var cells = new Option<string>("--cell") { Description = "Cell, or a comma list", DefaultValueFactory = _ => "rnn,lstm,gru,mingru" };
        var length = CliOptions.Int("--length", "Sequence length T", 100, min: 2, max: 1_000_000);
        var hidden = CliOptions.Int("--hidden", "Hidden units H", 32, max: CliOptions.MaxWidth);
        var samples = CliOptions.Int("--samples", "Sequences the norms are taken over", 1);
        var trainSteps = CliOptions.Int("--train-steps", "Adding-problem training steps before the second measurement (0 = initialisation only)", 500, min: 0, max: 100_000_000);
        var lr = CliOptions.Float("--lr", "Adam learning rate of the training", 0.01f, 1e-6f, 1f);
        var seed = CliOptions.Int("--seed", "Seed of initialisation and data", 1, min: 0, max: int.MaxValue);
        var noJacobian = new Option<bool>("--no-jacobian") { Description = "Skip ‖∂h_T/∂h_t‖_F (H backward passes per step)" };
        var outDir = new Option<string?>("--out") { Description = "Folder for gradients.csv, gradients_loss.png and gradients_jacobian.png" };
        var command = new Command("gradients", "Measure how the gradient of a loss at the last step decays with distance, per cell, before and after training.")
        {
            cells, length, hidden, samples, trainSteps, lr, seed, noJacobian, outDir,
        };
        command.SetAction(parse =>
        {
            var output = new Output(parse);
            string[] cellNames = LabOptions.ParseCells(parse.GetValue(cells)!);
            int T = parse.GetValue(length), H = parse.GetValue(hidden), steps = parse.GetValue(trainSteps);
            ulong seedValue = (ulong)parse.GetValue(seed);
            bool jacobian = !parse.GetValue(noJacobian);
            MemoryEstimate.CheckLab(Math.Max(parse.GetValue(samples), 500), T, H, "--length, --hidden and --samples");
            var task = new AddingTask();
            var sample = task.CreateBatch(T, parse.GetValue(samples));
            task.Fill(sample, new Rng(seedValue ^ 0x5A3B_1E00UL));
            var options = new MemoryRunOptions { Hidden = H, Steps = steps, LearningRate = parse.GetValue(lr), Seed = seedValue, TestSize = 500 };

            var profiles = new List<(string Phase, GradientProfile Profile, double Mse)>();
            foreach (string cell in cellNames)
            {
                var model = new MemoryModel(task, cell, H, new Rng(seedValue));
                var test = MemoryLab.Dataset(task, T, options.TestSize, new Rng(seedValue ^ 0x7E57_7E57UL));
                profiles.Add(("init", GradientFlow.Measure(model, sample, jacobian), model.Evaluate(test).Score));
                output.Status($"{cell}: measured at initialisation");
                if (steps > 0)
                {
                    MemoryLab.Train(model, T, options, output.Quiet ? null : output.Status);
                    profiles.Add(("trained", GradientFlow.Measure(model, sample, jacobian), model.Evaluate(test).Score));
                    output.Status($"{cell}: measured after training");
                }
            }

            output.Line($"Loss at the last step of T={T} adding sequences, H={H}; vanished = below {GradientProfile.VanishingRatio:G} of the value at d=0.");
            output.Line($"{"cell",-8} {"phase",-8} {"mse",7} {"|dL/dh| d=0",12} {"d=10",10} {"d=T",10} {"vanishes",9} {"|dhT/dht|F d=T",15} {"vanishes",9}");
            foreach (var (phase, p, mse) in profiles)
            {
                output.Line($"{p.Cell,-8} {phase,-8} {mse,7:F4} {p.LossGradient[0],12:0.00e+00} {Relative(p.LossGradient, 10),10:0.00e+00} {Relative(p.LossGradient, T),10:0.00e+00} " +
                    $"{Distance(p.LossGradient),9} {(jacobian ? Relative(p.Jacobian, T).ToString("0.00e+00", CultureInfo.InvariantCulture) : "-"),15} {(jacobian ? Distance(p.Jacobian) : "-"),9}");
            }
            output.Line("(d=10, d=T columns: relative to d=0)");

            var json = new JsonObject
            {
                ["task"] = "adding",
                ["length"] = T,
                ["hidden"] = H,
                ["samples"] = sample.B,
                ["train_steps"] = steps,
                ["jacobian_norm"] = "frobenius, exact (H backward passes)",
                ["vanishing_ratio"] = GradientProfile.VanishingRatio,
                ["results"] = new JsonArray(profiles.Select(x => (JsonNode)new JsonObject
                {
                    ["cell"] = x.Profile.Cell,
                    ["phase"] = x.Phase,
                    ["mse"] = x.Mse,
                    ["loss_gradient_at_T"] = x.Profile.LossGradient[0],
                    ["loss_gradient_relative_at_start"] = Relative(x.Profile.LossGradient, T),
                    ["loss_gradient_vanishes_at"] = GradientProfile.VanishingDistance(x.Profile.LossGradient),
                    ["jacobian_relative_at_start"] = jacobian ? Relative(x.Profile.Jacobian, T) : null,
                    ["jacobian_vanishes_at"] = jacobian ? GradientProfile.VanishingDistance(x.Profile.Jacobian) : null,
                }).ToArray()),
            };
            string? dir = parse.GetValue(outDir);
            if (dir is not null)
            {
                Directory.CreateDirectory(dir);
                string csv = Path.Combine(dir, "gradients.csv");
                string lossPng = Path.Combine(dir, "gradients_loss.png");
                WriteCsv(csv, profiles);
                var files = new JsonArray(csv, lossPng);
                Plots.Lines(lossPng, $"‖∂L/∂h_t‖ / ‖∂L/∂h_T‖, loss at the last of T = {T} steps", "distance T − t", "relative gradient norm",
                    profiles.Select(x => Series(x.Profile.Cell, x.Phase, x.Profile.LossGradient)).ToList(), logY: true);
                if (jacobian)
                {
                    string jacPng = Path.Combine(dir, "gradients_jacobian.png");
                    Plots.Lines(jacPng, $"‖∂h_T/∂h_t‖_F / ‖I‖_F, T = {T}", "distance T − t", "relative Frobenius norm",
                        profiles.Select(x => Series(x.Profile.Cell, x.Phase, x.Profile.Jacobian)).ToList(), logY: true);
                    files.Add(jacPng);
                }
                json["files"] = files;
                output.Status($"wrote {string.Join(", ", files.Select(f => f!.GetValue<string>()))}");
            }
            output.Result(json);
            return ExitCodes.Ok;
        });
        return command;
    }

    private static double Relative(double[] values, int d) => values[d] / values[0];

    private static string Distance(double[] values) => GradientProfile.VanishingDistance(values)?.ToString(CultureInfo.InvariantCulture) ?? "never";

    private static Plots.Series Series(string cell, string phase, double[] values) =>
        new($"{cell} {phase}", Enumerable.Range(0, values.Length).Select(d => (double)d).ToArray(),
            values.Select(v => v / values[0]).ToArray());

    private static void WriteCsv(string path, List<(string Phase, GradientProfile Profile, double Mse)> profiles)
    {
        var csv = new StringBuilder("cell,phase,distance,dloss_dh,dloss_dc,jacobian_frobenius\n");
        foreach (var (phase, p, _) in profiles)
        {
            for (int d = 0; d < p.LossGradient.Length; d++)
            {
                string cellGradient = p.CellGradient.Length > 0 && double.IsFinite(p.CellGradient[d]) ? p.CellGradient[d].ToString("R", CultureInfo.InvariantCulture) : "";
                string jac = p.Jacobian.Length > 0 ? p.Jacobian[d].ToString("R", CultureInfo.InvariantCulture) : "";
                csv.AppendLine($"{p.Cell},{phase},{d},{p.LossGradient[d].ToString("R", CultureInfo.InvariantCulture)},{cellGradient},{jac}");
            }
        }
        AtomicFile.WriteAllText(path, csv.ToString());
    }
}
