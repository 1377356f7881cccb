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
/// <c>baton forecast predict</c>: forecasts from every row of a CSV that has a full window behind it;
/// with <c>--follow</c>, then reads new rows from stdin and prints the forecast made at each one,
/// carrying the recurrent states (<see cref="ForecastStream"/>) so that no history is recomputed.
/// </summary>
internal static class ForecastPredictCommand
{
    /// <summary>Model-file metadata key holding the name of the time column the model was trained with.</summary>
    public const string TimeMetadataKey = "baton.forecast.time";

    public static Command Create()
    {
        var modelOption = new Option<string>("--model") { Description = "Model file written by 'baton forecast train'", Required = true };
        var csv = new Option<string>("--csv") { Description = "CSV with the model's input columns (the history to forecast from)", Required = true };
        var outFile = new Option<string?>("--out") { Description = "Write the forecasts to this CSV file (default: stdout)" };
        var follow = new Option<bool>("--follow") { Description = "After the CSV, read new rows (same columns) from stdin and print a forecast for each" };
        var time = new Option<string?>("--time") { Description = "Time column (default: the one the model was trained with)" };
        var fill = CliOptions.Choice("--fill", "Missing values: an error, or filled as asked (stdin rows: linear acts as forward)", "none", "none", "forward", "linear", "zero");

        var command = new Command("predict", "Forecast with a trained model from each row of a CSV; --follow streams new rows from stdin.")
        {
            modelOption, csv, outFile, follow, time, fill,
        };
        command.SetAction(parse =>
        {
            var output = new Output(parse);
            return ForecastCommand.OneThreadUnlessAsked(parse, () => Run(parse.GetValue(modelOption)!, parse.GetValue(csv)!,
                parse.GetValue(outFile), parse.GetValue(follow), parse.GetValue(time), ForecastCommand.Fill(parse.GetValue(fill)), output));
        });
        return command;
    }

    private static int Run(string modelPath, string csvPath, string? outPath, bool follow, string? timeOption,
        TimeSeriesFill fill, Output output)
    {
        var (model, trainedTime) = LoadModel(modelPath);
        var config = model.Config;
        CliOptions.ExistingFile(csvPath, "--csv");
        var table = ForecastCommand.BadInputAsCliError(() => CsvTable.Load(csvPath));
        string? timeColumn = timeOption ?? (trainedTime is not null && table.HasColumn(trainedTime) ? trainedTime : TimeSeriesFrame.GuessTimeColumn(table));
        var frame = ForecastCommand.BadInputAsCliError(() => TimeSeriesFrame.FromTable(table, timeColumn, config.Features, fill, rejectConstant: false));
        int W = config.Window;
        if (!follow && frame.Length < W)
            throw new CliError($"{table.Source} has {frame.Length} rows; the model's window needs at least {W}.");

        double[] rows = ForecastTrainCommand.RawRows(frame, config.Features);
        string header = Header(timeColumn, config);
        int forecasts = 0;
        if (frame.Length >= W && (outPath is not null || !follow))
        {
            var predictor = new ForecastPredictor(model);
            double[] predictions = predictor.Predict(rows, W - 1, frame.Length);
            forecasts = frame.Length - W + 1;
            var text = new StringBuilder();
            text.Append(header).Append('\n');
            for (int o = 0; o < forecasts; o++)
                AppendRow(text, frame.Times.Count > 0 ? frame.Times[W - 1 + o] : (W - 1 + o).ToString(CultureInfo.InvariantCulture),
                    predictions.AsSpan(o * config.OutputSize, config.OutputSize));
            if (outPath is not null)
            {
                AtomicFile.WriteAllText(outPath, text.ToString());
                output.Status($"{forecasts} forecasts of {config.Horizon} steps written to {outPath}");
            }
            else if (!follow)
            {
                output.Human.Write(text.ToString());
            }
        }

        int followed = 0;
        if (follow)
            followed = Follow(model, table, frame, rows, timeColumn, fill, header, output);
        output.Result(new JsonObject
        {
            ["forecasts"] = forecasts,
            ["followed"] = followed,
            ["horizon"] = config.Horizon,
            ["targets"] = new JsonArray([.. config.Targets.Select(t => (JsonNode)t)]),
            ["out"] = outPath,
        });
        return ExitCodes.Ok;
    }

    private static (SequenceModel Model, string? Time) LoadModel(string path)
    {
        CliOptions.ExistingFile(path, "--model");
        SequenceModel model;
        string? time;
        try
        {
            var file = SafeTensorsFile.Read(path);
            model = ModelFile.Load(file);
            time = file.Metadata.TryGetValue(TimeMetadataKey, out var t) ? t : null;
        }
        catch (Exception e) when (e is SafeTensorsFormatException or ModelConfigException or InvalidDataException or IOException)
        {
            throw new CliError($"--model '{path}' is not a valid model file: {e.Message.ReplaceLineEndings(" ")}");
        }
        if (model.Config.TaskKind != TaskKind.Forecast)
            throw new CliError($"--model '{path}' is a '{model.Config.Task}' model, not a forecast model.");
        return (model, time);
    }

    private static int Follow(SequenceModel model, CsvTable table, TimeSeriesFrame frame, double[] rows, string? timeColumn,
        TimeSeriesFill fill, string header, Output output)
    {
        var config = model.Config;
        int I = config.InputSize;
        var stream = new ForecastStream(model);
        var forecast = new double[config.OutputSize];
        for (int r = 0; r < frame.Length; r++)
            stream.Push(rows.AsSpan(r * I, I), forecast);

        int[] columnIndex = [.. config.Features.Select(table.ColumnIndex)];
        int timeIndex = timeColumn is null ? -1 : table.ColumnIndex(timeColumn);
        bool numericTime = frame.Times.Count > 0 && TimeSeriesFrame.IsNumericTime(frame.Times[0]);
        string previousTime = frame.Times.Count > 0 ? frame.Times[^1] : "";
        double previousKey = previousTime.Length > 0
            ? TimeSeriesFrame.TimeKey(previousTime, numericTime, table.Source, table.Lines[^1], timeColumn!)
            : double.NegativeInfinity;
        int previousLine = table.Lines.Count > 0 ? table.Lines[^1] : 1;
        var row = new double[I];
        if (frame.Length > 0)
            rows.AsSpan((frame.Length - 1) * I, I).CopyTo(row);
        bool haveRow = frame.Length > 0;
        long index = frame.Length;

        var stdout = CliContext.Out;
        stdout.WriteLine(header);
        stdout.Flush();
        var text = new StringBuilder();
        int lineNumber = 0;
        int followed = 0;
        string? line;
        while ((line = CliContext.In.ReadLine()) is not null)
        {
            lineNumber++;
            if (line.Trim().Length == 0)
                continue;
            string[] cells = CsvTable.ParseLine(line);
            if (cells.Select(c => c.Trim()).SequenceEqual(table.Columns))
                continue; // a repeated header
            ForecastCommand.BadInputAsCliError(() =>
            {
                if (cells.Length != table.Columns.Count)
                    throw new TimeSeriesDataException($"stdin line {lineNumber}: {cells.Length} fields, but the header has {table.Columns.Count}.");
                for (int i = 0; i < I; i++)
                {
                    string cell = cells[columnIndex[i]];
                    if (TimeSeriesFrame.IsMissing(cell))
                    {
                        row[i] = fill switch
                        {
                            TimeSeriesFill.Zero => 0,
                            TimeSeriesFill.Forward or TimeSeriesFill.Linear when haveRow => row[i],
                            _ => throw new TimeSeriesDataException(
                                $"stdin line {lineNumber}, column '{config.Features[i]}': missing value (fill it explicitly with --fill forward|zero)."),
                        };
                    }
                    else
                    {
                        row[i] = TimeSeriesFrame.ParseNumber(cell, "stdin", lineNumber, config.Features[i]);
                    }
                }
                if (timeIndex >= 0)
                {
                    string cell = cells[timeIndex].Trim();
                    if (previousTime.Length == 0)
                        numericTime = TimeSeriesFrame.IsNumericTime(cell);
                    double key = TimeSeriesFrame.TimeKey(cell, numericTime, "stdin", lineNumber, timeColumn!);
                    TimeSeriesFrame.CheckOrder(key, previousKey, cell, previousTime, "stdin", lineNumber, previousLine, timeColumn!);
                    previousKey = key;
                    previousTime = cell;
                    previousLine = lineNumber;
                }
                return 0;
            });
            haveRow = true;
            string label = timeIndex >= 0 ? previousTime : index.ToString(CultureInfo.InvariantCulture);
            index++;
            if (!stream.Push(row, forecast))
                continue;
            text.Clear();
            AppendRow(text, label, forecast);
            stdout.Write(text.ToString());
            stdout.Flush();
            followed++;
        }
        output.Status($"followed {followed} new rows");
        return followed;
    }

    private static string Header(string? timeColumn, ModelConfig config)
    {
        var columns = new List<string> { timeColumn ?? "row" };
        for (int h = 1; h <= config.Horizon; h++)
        {
            foreach (string target in config.Targets)
                columns.Add($"{target}+{h}");
        }
        var writer = new StringWriter();
        CsvTable.Write(writer, columns, []);
        return writer.ToString().TrimEnd('\r', '\n');
    }

    private static void AppendRow(StringBuilder text, string label, ReadOnlySpan<double> values)
    {
        text.Append(label.Contains(',') || label.Contains('"') ? $"\"{label.Replace("\"", "\"\"")}\"" : label);
        foreach (double v in values)
            text.Append(',').Append(v.ToString("G7", CultureInfo.InvariantCulture));
        text.Append('\n');
    }
}
