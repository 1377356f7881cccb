using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Baton.Cli.Cli;
using Baton.Lab;
using Baton.IO;
using Baton.Layers;

namespace Baton.Cli.Commands;

/// <summary>
/// <c>baton params</c>: the parameters of a recurrent stack per tensor and in total, with the
/// formula, beside a fully connected layer over T steps, a 1-D CNN and a Transformer encoder layer
/// of the same width, and how each grows with the sequence length.
/// </summary>
internal static class ParamsCommand
{
    private static readonly int[] GrowthLengths = [10, 100, 1000, 10000];

    public static Command Create()
    {
        var cell = CliOptions.Choice("--cell", "Recurrent cell", "lstm", [.. CellKinds.Names]);
        var input = CliOptions.Int("--input", "Input features per step I (the embedding size with --vocab)", 1, max: CliOptions.MaxWidth);
        var hidden = CliOptions.Int("--hidden", "Hidden units per layer and direction H", 64, max: CliOptions.MaxWidth);
        var layers = CliOptions.Int("--layers", "Stacked layers L", 1, max: CliOptions.MaxLayers);
        var bidirectional = new Option<bool>("--bidirectional") { Description = "Two directions per layer" };
        var proj = CliOptions.Int("--proj", "LSTM projection size P (0 = none)", 0, min: 0, max: CliOptions.MaxWidth);
        var vocab = CliOptions.Int("--vocab", "Vocabulary size V: adds embedding [V, I] and head [V, H·D] (0 = recurrent layers only)", 0, min: 0, max: 1 << 24);
        var length = CliOptions.Int("--length", "Window T for the fully connected comparison", 100, max: 1_000_000);
        var kernel = CliOptions.Int("--kernel", "Kernel size k of the 1-D CNN comparison", 3, min: 2);
        var heads = CliOptions.Int("--heads", "Attention heads of the Transformer comparison (0 = the largest of 8, 4, 2, 1 dividing H)", 0, min: 0, max: CliOptions.MaxWidth);
        var feedForward = CliOptions.Int("--ff", "dim_feedforward of the Transformer comparison (0 = 4·H)", 0, min: 0, max: CliOptions.MaxWidth);
        var outDir = new Option<string?>("--out") { Description = "Folder for params_growth.csv and params_growth.png (none = no files)" };

        var command = new Command("params", "Count parameters per tensor and in total, with the formula, beside a fully connected net, a CNN and a Transformer layer.")
        {
            cell, input, hidden, layers, bidirectional, proj, vocab, length, kernel, heads, feedForward, outDir,
        };
        command.SetAction(parse =>
        {
            var output = new Output(parse);
            var shape = new RecurrentShape(parse.GetValue(cell)!, parse.GetValue(input), parse.GetValue(hidden),
                parse.GetValue(layers), parse.GetValue(bidirectional), parse.GetValue(proj));
            try
            {
                shape.Validate();
            }
            catch (ArgumentException e)
            {
                string option = "--" + (e.ParamName ?? "cell").ToLowerInvariant();
                throw new CliError($"{option}: {e.Message.Split(" (Parameter")[0]}");
            }
            int H = shape.Hidden;
            int nhead = parse.GetValue(heads);
            if (nhead == 0)
                nhead = new[] { 8, 4, 2, 1 }.First(h => H % h == 0);
            if (H % nhead != 0)
                throw new CliError($"--heads {nhead} must divide --hidden {H} (d_model).");
            int ff = parse.GetValue(feedForward) is > 0 and var f ? f : 4 * H;
            var report = Build(shape, parse.GetValue(vocab), parse.GetValue(length), parse.GetValue(kernel), nhead, ff);
            Print(output, report);
            string? dir = parse.GetValue(outDir);
            if (dir is not null)
            {
                Directory.CreateDirectory(dir);
                string csv = Path.Combine(dir, "params_growth.csv");
                string png = Path.Combine(dir, "params_growth.png");
                WriteGrowth(report, csv, png);
                report.Json["files"] = new JsonArray(csv, png);
                output.Status($"wrote {csv}, {png}");
            }
            output.Result(report.Json);
            return ExitCodes.Ok;
        });
        return command;
    }

    private sealed record GrowthRow(int T, long Recurrent, long FullyConnected, long ConvolutionStack, int ConvolutionLayers, long Transformer, long TransformerLearnedPositions);

    private sealed record Report(RecurrentShape Shape, IReadOnlyList<TensorCount> Tensors, long Total, string Formula,
        int Window, long FullyConnected, int Kernel, long Convolution, int ConvolutionLayers, long ConvolutionStack,
        int Heads, int FeedForward, long Transformer, IReadOnlyList<GrowthRow> Growth, JsonObject Json);

    private static Report Build(RecurrentShape shape, int vocab, int window, int kernel, int heads, int ff)
    {
        var tensors = ParameterCount.Model(shape, vocab);
        long total = ParameterCount.Total(tensors);
        long recurrent = ParameterCount.Total(ParameterCount.Recurrent(shape));
        int I = shape.Input, H = shape.Hidden;
        long fc = ParameterCount.FullyConnected(window, I, H);
        long conv = ParameterCount.Convolution(I, H, kernel);
        int convLayers = ParameterCount.ConvolutionLayersToCover(window, kernel);
        long convStack = ParameterCount.ConvolutionStack(window, I, H, kernel);
        long transformer = ParameterCount.TransformerEncoderLayer(H, ff);
        var growth = GrowthLengths.Select(T => new GrowthRow(T, recurrent, ParameterCount.FullyConnected(T, I, H),
            ParameterCount.ConvolutionStack(T, I, H, kernel), ParameterCount.ConvolutionLayersToCover(T, kernel),
            transformer, transformer + (long)T * H)).ToList();

        var tensorJson = new JsonObject();
        var shapeJson = new JsonObject();
        foreach (var t in tensors)
        {
            tensorJson[t.Name] = t.Count;
            shapeJson[t.Name] = new JsonArray(t.Shape.Select(d => (JsonNode)d).ToArray());
        }
        var json = new JsonObject
        {
            ["cell"] = shape.Cell,
            ["input"] = I,
            ["hidden"] = H,
            ["layers"] = shape.Layers,
            ["bidirectional"] = shape.Bidirectional,
            ["proj"] = shape.Proj,
            ["vocab"] = vocab,
            ["total"] = total,
            ["recurrent_total"] = recurrent,
            ["formula"] = ParameterCount.Formula(shape),
            ["tensors"] = tensorJson,
            ["shapes"] = shapeJson,
            ["comparison"] = new JsonObject
            {
                ["fully_connected"] = new JsonObject
                {
                    ["window"] = window, ["total"] = fc, ["formula"] = $"T·I·H + H = {window}·{I}·{H} + {H}",
                },
                ["cnn"] = new JsonObject
                {
                    ["kernel"] = kernel, ["total"] = conv, ["formula"] = $"H·I·k + H = {H}·{I}·{kernel} + {H}",
                    ["layers_to_cover_window"] = convLayers, ["stack_total"] = convStack,
                },
                ["transformer"] = new JsonObject
                {
                    ["d_model"] = H, ["nhead"] = heads, ["dim_feedforward"] = ff, ["total"] = transformer,
                    ["formula"] = $"4·d² + 4·d + 2·d·F + F + d + 4·d with d = {H}, F = {ff}",
                    ["learned_positions"] = (long)window * H,
                },
            },
            ["growth"] = new JsonArray(growth.Select(g => (JsonNode)new JsonObject
            {
                ["length"] = g.T,
                ["recurrent"] = g.Recurrent,
                ["fully_connected"] = g.FullyConnected,
                ["cnn_stack"] = g.ConvolutionStack,
                ["cnn_layers"] = g.ConvolutionLayers,
                ["transformer"] = g.Transformer,
                ["transformer_learned_positions"] = g.TransformerLearnedPositions,
            }).ToArray()),
        };
        return new Report(shape, tensors, total, ParameterCount.Formula(shape), window, fc, kernel, conv, convLayers, convStack,
            heads, ff, transformer, growth, json);
    }

    private static void Print(Output output, Report r)
    {
        var s = r.Shape;
        output.Line($"{s.Cell}: I={s.Input} H={s.Hidden} L={s.Layers}{(s.Bidirectional ? " bidirectional" : "")}{(s.Proj > 0 ? $" P={s.Proj}" : "")}");
        int width = r.Tensors.Max(t => t.Name.Length);
        foreach (var t in r.Tensors)
            output.Line($"  {t.Name.PadRight(width)}  {("[" + string.Join(", ", t.Shape) + "]").PadRight(12)} {N(t.Count),12}");
        output.Line($"  {"total".PadRight(width)}  {"",-12} {N(r.Total),12}");
        output.Line($"recurrent layers: {r.Formula}  (G·H·(I_k+H) + 2·G·H per layer and direction; the same for every T)");
        output.Line();
        output.Line($"Beside it, same width H={s.Hidden}:");
        output.Line($"  fully connected over T={r.Window} steps, Linear(T·I → H):  {N(r.FullyConnected),12}  grows as T·I·H");
        output.Line($"  1-D CNN, Conv1d(I, H, k={r.Kernel}):                      {N(r.Convolution),12}  sees {r.Kernel} steps; {r.ConvolutionLayers} stacked layers ({N(r.ConvolutionStack)}) to see T={r.Window}");
        output.Line($"  Transformer encoder layer, d={s.Hidden}, {r.Heads} heads, F={r.FeedForward}: {N(r.Transformer),12}  + T·d = {N((long)r.Window * s.Hidden)} with learned positions; attention costs T² per layer");
        output.Line();
        output.Line($"{"T",7} {"recurrent",12} {"fully conn.",14} {"CNN to cover T",16} {"Transformer",12} {"+ positions",12}");
        foreach (var g in r.Growth)
            output.Line($"{g.T,7} {N(g.Recurrent),12} {N(g.FullyConnected),14} {N(g.ConvolutionStack),16} {N(g.Transformer),12} {N(g.TransformerLearnedPositions),12}");
    }

    private static void WriteGrowth(Report r, string csvPath, string pngPath)
    {
        var csv = new StringBuilder("length,recurrent,fully_connected,cnn_stack,cnn_layers,transformer,transformer_learned_positions\n");
        foreach (var g in r.Growth)
            csv.AppendLine(string.Join(',', g.T, g.Recurrent, g.FullyConnected, g.ConvolutionStack, g.ConvolutionLayers, g.Transformer, g.TransformerLearnedPositions));
        AtomicFile.WriteAllText(csvPath, csv.ToString());

        // A denser grid of T for the picture, on log-log axes drawn as log10 of both.
        double[] lengths = Enumerable.Range(0, 25).Select(i => Math.Round(Math.Pow(10, 1 + i / 8.0))).ToArray();
        double[] logT = lengths.Select(Math.Log10).ToArray();
        Plots.Series Line(string label, Func<int, long> count) => new(label, logT, lengths.Select(t => (double)count((int)t)).ToArray());
        var s = r.Shape;
        long recurrent = ParameterCount.Total(ParameterCount.Recurrent(s));
        Plots.Lines(pngPath, $"Parameters vs sequence length (H = {s.Hidden}, I = {s.Input})", "log10 T", "parameters",
        [
            Line($"{s.Cell} (any T)", _ => recurrent),
            Line("fully connected over T", t => ParameterCount.FullyConnected(t, s.Input, s.Hidden)),
            Line($"CNN k={r.Kernel} stacked to cover T", t => ParameterCount.ConvolutionStack(t, s.Input, s.Hidden, r.Kernel)),
            Line("Transformer layer + learned positions", t => r.Transformer + (long)t * s.Hidden),
        ], logY: true);
    }

    private static string N(long value) => value.ToString("N0", CultureInfo.InvariantCulture);
}
