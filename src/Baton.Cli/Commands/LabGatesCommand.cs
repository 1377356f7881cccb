using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Baton.Cli.Cli;
using Baton.Data;
using Baton.Lab;
using Baton.IO;

namespace Baton.Cli.Commands;

/// <summary>
/// <c>baton lab gates</c>: what the gates do on a given text. Runs a trained character model over the text and
/// writes every gate activation per step and unit (LSTM i, f, o and the cell state c; GRU r, z) as CSV and heatmaps.
/// </summary>
internal static class LabGatesCommand
{
    /// <summary>Gate values below this count as "closed", above 1 − this as "open".</summary>
    private const double Saturation = 0.1;

    public static Command Create()
    {
        var modelPath = new Option<string>("--model") { Description = "A model file (safetensors) of a character or byte model with an LSTM or GRU", Required = true };
        var text = new Option<string>("--text") { Description = "The text to run the model over", Required = true };
        var layer = CliOptions.Int("--layer", "Layer whose gates are recorded", 0, min: 0, max: CliOptions.MaxLayers - 1);
        var outDir = new Option<string?>("--out") { Description = "Folder for gates.csv and the heatmaps (default: the current folder)" };
        var command = new Command("gates", "Record gate activations per step and unit (LSTM i, f, o, c; GRU r, z) over a text; CSV and heatmaps.")
        {
            modelPath, text, layer, outDir,
        };
        command.SetAction(parse =>
        {
            var output = new Output(parse);
            string path = CliOptions.ExistingFile(parse.GetValue(modelPath)!, "--model");
            var model = ModelFile.Load(path);
            var config = model.Config;
            if (config.Cell is not ("lstm" or "gru"))
                throw new CliError($"--model: gates exist for lstm and gru models; this one is '{config.Cell}'.");
            if (!config.UsesEmbedding || config.Vocab.Length == 0)
                throw new CliError("--model: gates reads text, so the model needs an embedding and a vocabulary (a 'baton train' text model).");
            if (config.ProjSize > 0)
                throw new CliError("--model: LSTM projections are not supported by gates.");
            int k = parse.GetValue(layer);
            if (k >= config.Layers)
                throw new CliError($"--layer: the model has {config.Layers} layer(s), so --layer must be below {config.Layers}.");
            string input = parse.GetValue(text)!;
            var vocabulary = new Vocabulary(config.Tokens == "bytes" ? TokenKind.Bytes : TokenKind.Chars, config.Vocab);
            int[] ids = vocabulary.Encode(input, out int unknown);
            if (ids.Length == 0)
                throw new CliError("--text is empty.");
            if (unknown > 0)
                throw new CliError($"--text has {unknown} token(s) outside the model's vocabulary.");
            int T = ids.Length, E = config.Embedding, H = config.Hidden;
            var p = model.Parameters;
            var table = p.Value(p["embedding.weight"]);
            var x = new float[T * E];
            for (int t = 0; t < T; t++)
                table.Slice(ids[t] * E, E).CopyTo(x.AsSpan(t * E, E));
            var record = GateActivations.Record(p, config.Cell, H, k, x, T);
            string[] names = GateActivations.Names(config.Cell);
            string[] tokens = ids.Select(id => Printable(vocabulary.Tokens[id])).ToArray();

            output.Line($"{config.Cell} layer {k}, {T} steps × {H} units; closed < {Saturation}, open > {1 - Saturation}");
            output.Line($"{"gate",-5} {"mean",7} {"closed",7} {"open",7}");
            var summary = new JsonObject();
            foreach (string name in names)
            {
                var values = record.Gates[name];
                var flat = values.Cast<double>().ToArray();
                double mean = flat.Average();
                if (name == "c")
                {
                    double meanAbs = flat.Average(Math.Abs), maxAbs = flat.Max(Math.Abs);
                    output.Line($"{"c",-5} mean |c| {meanAbs:F3}, max |c| {maxAbs:F3}");
                    summary["c"] = new JsonObject { ["mean_abs"] = meanAbs, ["max_abs"] = maxAbs };
                    continue;
                }
                double closed = flat.Count(v => v < Saturation) / (double)flat.Length;
                double open = flat.Count(v => v > 1 - Saturation) / (double)flat.Length;
                output.Line($"{name,-5} {mean,7:F3} {closed,7:P0} {open,7:P0}");
                summary[name] = new JsonObject { ["mean"] = mean, ["closed"] = closed, ["open"] = open };
            }

            string dir = parse.GetValue(outDir) ?? ".";
            Directory.CreateDirectory(dir);
            string csv = Path.Combine(dir, "gates.csv");
            string png = Path.Combine(dir, "gates.png");
            var files = new JsonArray(csv, png);
            WriteCsv(csv, record, names, tokens);
            var gateNames = names.Where(n => n != "c").ToArray();
            Plots.Heatmap(png, $"{config.Cell} gates, rows top to bottom: {string.Join(", ", gateNames)} × {H} units, over {Shorten(input)}",
                "step", string.Join(" | ", gateNames), Stack(record, gateNames, H, T));
            if (config.Cell == "lstm")
            {
                string cellPng = Path.Combine(dir, "gates_cell.png");
                Plots.Heatmap(cellPng, $"LSTM cell state c (rows: units) over {Shorten(input)}", "step", "unit", Stack(record, ["c"], H, T));
                files.Add(cellPng);
            }
            output.Status($"wrote {string.Join(", ", files.Select(f => f!.GetValue<string>()))}");
            output.Result(new JsonObject
            {
                ["model"] = path,
                ["cell"] = config.Cell,
                ["layer"] = k,
                ["steps"] = T,
                ["units"] = H,
                ["gates"] = summary,
                ["files"] = files,
            });
            return ExitCodes.Ok;
        });
        return command;
    }

    /// <summary>The gates' [T, H] maps as one [gates·H, T] image: unit rows, step columns.</summary>
    private static double[,] Stack(GateActivations record, string[] names, int H, int T)
    {
        var image = new double[names.Length * H, T];
        for (int g = 0; g < names.Length; g++)
            for (int u = 0; u < H; u++)
                for (int t = 0; t < T; t++)
                    image[g * H + u, t] = record.Gates[names[g]][t, u];
        return image;
    }

    private static void WriteCsv(string path, GateActivations record, string[] names, string[] tokens)
    {
        var csv = new StringBuilder("step,token,gate,unit,value\n");
        int T = tokens.Length;
        foreach (string name in names)
        {
            var values = record.Gates[name];
            for (int t = 0; t < T; t++)
                for (int u = 0; u < values.GetLength(1); u++)
                    csv.Append(t).Append(',').Append(Quote(tokens[t])).Append(',').Append(name).Append(',').Append(u).Append(',')
                        .Append(values[t, u].ToString("R", CultureInfo.InvariantCulture)).Append('\n');
        }
        AtomicFile.WriteAllText(path, csv.ToString());
    }

    private static string Quote(string token) => token.IndexOfAny([',', '"', '\n', '\r']) >= 0 ? $"\"{token.Replace("\"", "\"\"")}\"" : token;

    private static string Printable(string token) => token switch { "\n" => "\\n", "\t" => "\\t", "\r" => "\\r", _ => token };

    /// <summary>The text for a chart title; the chart font has no CJK glyphs, so non-ASCII text is described instead.</summary>
    private static string Shorten(string text)
    {
        if (text.Any(ch => ch > '\u007f'))
            return $"{text.Length} characters of text";
        string oneLine = text.ReplaceLineEndings(" ");
        return oneLine.Length <= 40 ? oneLine : oneLine[..37] + "...";
    }
}
