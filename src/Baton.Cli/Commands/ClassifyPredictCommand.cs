using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Baton.Cli.Cli;
using Baton.Data;
using Baton.IO;
using Baton.Models;
using Baton.Training;

namespace Baton.Cli.Commands;

/// <summary>
/// <c>baton classify predict</c>: labels every sequence of a long-format CSV with a trained model and writes one row per
/// sequence (id, predicted label, the probability of every class). With <c>--early</c> it also writes OUT's sibling
/// <c>*.early.csv</c>, the prediction after every step, and reports how soon each prediction settles. When the CSV holds the
/// label column the model was trained with, the accuracy is reported too. Bad input exits 2 before anything is written.
/// </summary>
internal static class ClassifyPredictCommand
{
    public static Command Create()
    {
        var modelOption = new Option<string>("--model") { Description = "Model file written by 'baton classify train'", Required = true };
        var csv = new Option<string?>("--csv") { Description = "Long-format CSV with the model's feature columns and an id column" };
        var audio = new Option<string?>("--audio") { Description = "A WAV file, or a folder of them (searched recursively), for a model trained on audio" };
        var outFile = new Option<string>("--out") { Description = "CSV file to write: one row per sequence", Required = true };
        var early = new Option<bool>("--early") { Description = "Also write the prediction after every step to OUT's sibling *.early.csv" };
        var id = new Option<string?>("--id") { Description = "Id column (default: the one the model was trained with)" };
        var time = new Option<string?>("--time") { Description = "Time column (default: the one the model was trained with, if the CSV has it)" };

        var command = new Command("predict", "Label each sequence of a CSV with a trained classifier; --early adds the prediction after every step.")
        {
            modelOption, csv, audio, outFile, early, id, time,
        };
        command.SetAction(parse =>
        {
            var output = new Output(parse);
            return GlobalOptions.OneThreadUnlessAsked(parse, () => Run(parse.GetValue(modelOption)!, parse.GetValue(csv), parse.GetValue(audio), parse.GetValue(outFile)!,
                parse.GetValue(early), parse.GetValue(id), parse.GetValue(time), output));
        });
        return command;
    }

    private static int Run(string modelPath, string? csvPath, string? audioPath, string outPath, bool early, string? idOption, string? timeOption, Output output)
    {
        var (model, metadata) = LoadModel(modelPath);
        var config = model.Config;
        if ((csvPath is null) == (audioPath is null))
            throw new CliError("give either --csv or --audio.");
        string id;
        string? label;
        LabeledSequences data;
        if (audioPath is not null)
        {
            if (config.Audio is null)
                throw new CliError($"--model '{modelPath}' reads feature columns, not audio: use --csv.");
            (data, label) = LoadAudio(audioPath, config);
            id = "file";
        }
        else
        {
            if (config.Audio is not null)
                throw new CliError($"--model '{modelPath}' was trained on audio: use --audio.");
            CliOptions.ExistingFile(csvPath!, "--csv");
            var table = ClassifyCommand.BadInputAsCliError(() => CsvTable.Load(csvPath!));
            id = idOption ?? metadata.GetValueOrDefault(ClassifyCommand.IdKey)
                ?? throw new CliError("--id is required: the model file does not name the id column.");
            string? time = timeOption ?? (metadata.GetValueOrDefault(ClassifyCommand.TimeKey) is { } trained && table.HasColumn(trained) ? trained : null);
            label = metadata.GetValueOrDefault(ClassifyCommand.LabelKey) is { } l && table.HasColumn(l) ? l : null;
            string idColumn = id;
            data = ClassifyCommand.BadInputAsCliError(() => LabeledSequences.FromTable(table, idColumn, label, time, config.Features));
        }

        var predictor = new ClassifyPredictor(model);
        string[] classes = ClassNames(config);
        int C = classes.Length;
        double[] probabilities = predictor.Probabilities(data.Features);
        int[] predicted = ClassifyPredictor.ArgMax(probabilities, C);
        var text = new StringBuilder();
        AppendRow(text, [id, "label", .. classes.Select(c => $"p_{c}")]);
        for (int s = 0; s < data.Count; s++)
            AppendRow(text, [data.Ids[s], classes[predicted[s]], .. Probabilities(probabilities.AsSpan(s * C, C))]);

        string? earlyPath = null;
        StringBuilder? earlyText = null;
        var settledAt = new double[data.Count];
        if (early)
        {
            earlyPath = EarlyPath(outPath);
            earlyText = new StringBuilder();
            AppendRow(earlyText, [id, "step", "label", .. classes.Select(c => $"p_{c}")]);
            for (int s = 0; s < data.Count; s++)
            {
                double[] steps = predictor.EarlyProbabilities(data.Features[s]);
                int T = data.Length(s);
                int[] byStep = ClassifyPredictor.ArgMax(steps, C);
                int settled = T;
                while (settled > 1 && byStep[settled - 2] == byStep[T - 1])
                    settled--;
                settledAt[s] = (double)settled / T;
                for (int t = 0; t < T; t++)
                    AppendRow(earlyText, [data.Ids[s], (t + 1).ToString(CultureInfo.InvariantCulture), classes[byStep[t]], .. Probabilities(steps.AsSpan(t * C, C))]);
            }
        }

        AtomicFile.WriteAllText(outPath, text.ToString());
        output.Status($"{data.Count} sequences labelled; written to {outPath}");
        var result = new JsonObject
        {
            ["sequences"] = data.Count,
            ["classes"] = new JsonArray([.. classes.Select(c => (JsonNode)c)]),
            ["out"] = outPath,
        };
        if (data.Labels is not null)
        {
            int correct = Enumerable.Range(0, data.Count).Count(s => classes[predicted[s]] == data.Labels[s]);
            double accuracy = (double)correct / data.Count;
            output.Line($"accuracy against {(audioPath is null ? $"column '{label}'" : "the folder names")}: {ClassifyTrainCommand.Percent(accuracy)} ({correct} of {data.Count})");
            result["accuracy"] = accuracy;
        }
        if (earlyText is not null)
        {
            AtomicFile.WriteAllText(earlyPath!, earlyText.ToString());
            double median = settledAt.Order().ElementAt(settledAt.Length / 2);
            output.Line(string.Create(CultureInfo.InvariantCulture,
                $"early: the prediction settles on its final label after a median {100 * median:F0}% of the steps; every step in {earlyPath}"));
            result["early"] = new JsonObject { ["out"] = earlyPath, ["median_fraction_settled"] = median };
        }
        output.Result(result);
        return ExitCodes.Ok;
    }

    /// <summary>
    /// The recordings of <paramref name="path"/> (a WAV file, or every WAV under a folder) through the model's front end. In a folder
    /// whose files all sit in subfolders named after the model's classes, the subfolder names are the labels (the accuracy is reported).
    /// </summary>
    private static (LabeledSequences Data, string? Label) LoadAudio(string path, ModelConfig config)
    {
        var options = config.Audio!;
        if (File.Exists(path))
            return (ClassifyCommand.BadInputAsCliError(() => AudioSequences.FromFile(path, options)), null);
        if (!Directory.Exists(path))
            throw new CliError($"--audio '{path}' does not exist.");
        var unlabelled = ClassifyCommand.BadInputAsCliError(() => AudioSequences.FromDirectory(path, options, labelled: false));
        var classes = new HashSet<string>(config.Classes, StringComparer.Ordinal);
        bool labelled = unlabelled.Ids.All(f => f.IndexOf('/') is int slash && slash > 0 && classes.Contains(f[..slash]));
        if (!labelled)
            return (unlabelled, null);
        string[] labels = [.. unlabelled.Ids.Select(f => f[..f.IndexOf('/')])];
        return (new LabeledSequences(unlabelled.FeatureNames, unlabelled.Ids, unlabelled.Features, labels, unlabelled.FirstLines), "label");
    }

    /// <summary>OUT with <c>.early</c> before its extension: preds.csv → preds.early.csv.</summary>
    internal static string EarlyPath(string outPath)
    {
        string dir = Path.GetDirectoryName(outPath) ?? "";
        string ext = Path.GetExtension(outPath);
        return Path.Combine(dir, Path.GetFileNameWithoutExtension(outPath) + ".early" + (ext.Length > 0 ? ext : ".csv"));
    }

    private static string[] ClassNames(ModelConfig config) =>
        config.Classes.Length == config.OutputSize
            ? config.Classes
            : [.. Enumerable.Range(0, config.OutputSize).Select(c => c.ToString(CultureInfo.InvariantCulture))];

    private static IEnumerable<string> Probabilities(ReadOnlySpan<double> p)
    {
        var cells = new string[p.Length];
        for (int c = 0; c < p.Length; c++)
            cells[c] = p[c].ToString("G6", CultureInfo.InvariantCulture);
        return cells;
    }

    private static void AppendRow(StringBuilder text, IEnumerable<string> cells)
    {
        bool first = true;
        foreach (string cell in cells)
        {
            if (!first)
                text.Append(',');
            first = false;
            text.Append(cell.Contains(',') || cell.Contains('"') || cell.Contains('\n') ? $"\"{cell.Replace("\"", "\"\"")}\"" : cell);
        }
        text.Append('\n');
    }

    private static (SequenceModel Model, IReadOnlyDictionary<string, string> Metadata) LoadModel(string path)
    {
        CliOptions.ExistingFile(path, "--model");
        SequenceModel model;
        IReadOnlyDictionary<string, string> metadata;
        try
        {
            var file = SafeTensorsFile.Read(path);
            model = ModelFile.Load(file);
            metadata = file.Metadata;
        }
        catch (Exception e) when (e is SafeTensorsFormatException or ModelConfigException or InvalidDataException or IOException)
        {
            throw new CliError($"--model '{path}' is not a valid model file: {e.Message.ReplaceLineEndings(" ")}");
        }
        if (model.Config.Task != "classify" || model.Config.UsesEmbedding)
            throw new CliError($"--model '{path}' is a '{model.Config.Task}' model, not a sequence classifier.");
        return (model, metadata);
    }
}
