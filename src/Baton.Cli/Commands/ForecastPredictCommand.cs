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

    /// <summary>Model-file metadata key holding the <c>--time-format</c> the model was trained with.</summary>
    public const string TimeFormatMetadataKey = "baton.forecast.time_format";

    public static Command Create()
    {
        var modelOption = new Option<string>("--model") { Description = "Model file written by 'baton forecast train'", Required = true };
        var csv = new Option<string>("--csv") { Description = "CSV with the model's input columns (the history to forecast from)", Required = true };
        var outFile = new Option<string?>("--out") { Description = "Write the forecasts to this CSV file (default: stdout)" };
        var follow = new Option<bool>("--follow") { Description = "After the CSV, read new rows (same columns) from stdin and print a forecast for each" };
        var time = new Option<string?>("--time") { Description = "Time column (default: the one the model was trained with)" };
        var fill = CliOptions.Choice("--fill", "Missing values, gaps and outliers: an error, or filled as asked (stdin rows: linear acts as forward)", "none", "none", "forward", "linear", "zero");
        var timeFormat = new Option<string?>("--time-format") { Description = "Date format of the time column when it is not ISO 8601 (default: the one the model was trained with)" };
        var allowOutliers = new Option<bool>("--allow-outliers") { Description = "Keep values more than 10 robust deviations from their neighbours" };
        var strict = new Option<bool>("--strict") { Description = "With --follow, stop at the first bad stdin line (exit 2) instead of reporting it on stderr and going on" };

        var command = new Command("predict", "Forecast with a trained model from each row of a CSV; --follow streams new rows from stdin. Runs on 1 thread unless --threads is given.")
        {
            modelOption, csv, outFile, follow, time, fill, timeFormat, allowOutliers, strict,
        };
        command.SetAction(parse =>
        {
            var output = new Output(parse);
            var settings = new Settings(parse.GetValue(modelOption)!, parse.GetValue(csv)!, parse.GetValue(outFile), parse.GetValue(follow),
                parse.GetValue(time), ForecastCommand.Fill(parse.GetValue(fill)), parse.GetValue(timeFormat), parse.GetValue(allowOutliers),
                parse.GetValue(strict));
            return GlobalOptions.OneThreadUnlessAsked(parse, () => Run(settings, output));
        });
        return command;
    }

    private sealed record Settings(string Model, string Csv, string? Out, bool Follow, string? Time, TimeSeriesFill Fill,
        string? TimeFormat, bool AllowOutliers, bool Strict);

    private static int Run(Settings settings, Output output)
    {
        string? outPath = settings.Out;
        bool follow = settings.Follow;
        var fill = settings.Fill;
        var (model, trainedTime, scheme, trainedFormat) = LoadModel(settings.Model);
        var config = model.Config;
        string? timeFormat = settings.TimeFormat ?? trainedFormat;
        string[] columns = scheme.Columns.Length > 0 ? scheme.Columns : config.Features;
        CliOptions.ExistingFile(settings.Csv, "--csv");
        var table = ForecastCommand.BadInputAsCliError(() => CsvTable.Load(settings.Csv));
        string? timeColumn = settings.Time ?? (trainedTime is not null && table.HasColumn(trainedTime) ? trainedTime : TimeSeriesFrame.GuessTimeColumn(table));
        var frame = ForecastCommand.BadInputAsCliError(() => TimeSeriesFrame.FromTable(table, timeColumn, columns, new TimeSeriesReadOptions
        {
            Fill = fill,
            TimeFormat = timeFormat,
            AllowOutliers = settings.AllowOutliers,
            RejectConstant = false,
        }));
        foreach (string note in frame.Notes)
            output.Status(note);
        var predictor = new ForecastPredictor(model, scheme);
        int first = predictor.FirstOrigin;
        if (!follow && frame.Length <= first)
            throw new CliError($"{table.Source} has {frame.Length} rows; the model's first forecast needs at least {first + 1}.");

        double[] rows = ForecastTrainCommand.RawRows(frame, columns);
        string header = Header(timeColumn, config);
        int forecasts = 0;
        if (frame.Length > first && (outPath is not null || !follow))
        {
            double[] predictions = predictor.Predict(rows, first, frame.Length);
            forecasts = frame.Length - first;
            var text = new StringBuilder();
            text.Append(header).Append('\n');
            for (int o = 0; o < forecasts; o++)
                AppendRow(text, frame.Times.Count > 0 ? frame.Times[first + o] : (first + o).ToString(CultureInfo.InvariantCulture),
                    predictions.AsSpan(o * config.OutputSize, config.OutputSize));
            if (outPath is not null)
            {
                AtomicFile.WriteAllText(outPath, text.ToString());
                output.Status($"{forecasts} forecasts of {config.Horizon} steps written to {outPath}");
            }
            else if (!follow)
            {
                // The forecasts are the result: stdout, before the JSON line under --json.
                CliContext.Out.Write(text.ToString());
            }
        }

        int followed = 0;
        if (follow)
            followed = Follow(model, scheme, columns, table, frame, rows, timeColumn, timeFormat, settings.Strict, fill, header, output);
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

    private static (SequenceModel Model, string? Time, ForecastScheme Scheme, string? TimeFormat) LoadModel(string path)
    {
        CliOptions.ExistingFile(path, "--model");
        SequenceModel model;
        string? time;
        string? format;
        ForecastScheme scheme;
        try
        {
            var file = SafeTensorsFile.Read(path);
            model = ModelFile.Load(file);
            time = file.Metadata.TryGetValue(TimeMetadataKey, out var t) ? t : null;
            format = file.Metadata.TryGetValue(TimeFormatMetadataKey, out var f) ? f : null;
            scheme = file.Metadata.TryGetValue(ForecastScheme.MetadataKey, out var s) ? ForecastScheme.FromJson(s) : ForecastScheme.Legacy;
            if (model.Config.Task == "forecast")
                _ = new ForecastPredictor(model, scheme, batch: 1);
        }
        catch (Exception e) when (e is SafeTensorsFormatException or ModelConfigException or InvalidDataException or IOException or ArgumentException)
        {
            throw new CliError($"--model '{path}' is not a valid model file: {e.Message.ReplaceLineEndings(" ")}");
        }
        if (model.Config.TaskKind != TaskKind.Forecast)
            throw new CliError($"--model '{path}' is a '{model.Config.Task}' model, not a forecast model.");
        return (model, time, scheme, format);
    }

    private static int Follow(SequenceModel model, ForecastScheme scheme, string[] columns, CsvTable table, TimeSeriesFrame frame,
        double[] rows, string? timeColumn, string? timeFormat, bool strict, TimeSeriesFill fill, string header, Output output)
    {
        var config = model.Config;
        int I = columns.Length;
        var stream = new ForecastStream(model, scheme);
        var forecast = new double[config.OutputSize];
        for (int r = 0; r < frame.Length; r++)
            stream.Push(rows.AsSpan(r * I, I), forecast);

        int[] columnIndex = [.. columns.Select(table.ColumnIndex)];
        int timeIndex = timeColumn is null ? -1 : table.ColumnIndex(timeColumn);
        bool numericTime = timeFormat is null && frame.Times.Count > 0 && TimeSeriesFrame.IsNumericTime(frame.Times[0]);
        string previousTime = table.Rows.Count > 0 && timeIndex >= 0 ? table.Rows[^1][timeIndex].Trim() : "";
        double previousKey = previousTime.Length > 0
            ? TimeSeriesFrame.TimeKey(previousTime, numericTime, table.Source, table.Lines[^1], timeColumn!, timeFormat)
            : double.NegativeInfinity;
        int previousLine = table.Lines.Count > 0 ? table.Lines[^1] : 1;
        var row = new double[I];
        var candidate = new double[I];
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
        int skipped = 0;
        string? line;
        while ((line = CliContext.In.ReadLine()) is not null)
        {
            lineNumber++;
            if (line.Trim().Length == 0)
                continue;
            string[] cells = CsvTable.ParseLine(line);
            if (cells.Select(c => c.Trim()).SequenceEqual(table.Columns))
                continue; // a repeated header
            double key = previousKey;
            string time = previousTime;
            try
            {
                if (cells.Length != table.Columns.Count)
                    throw new TimeSeriesDataException($"stdin line {lineNumber}: {cells.Length} fields, but the header has {table.Columns.Count}.");
                for (int i = 0; i < I; i++)
                {
                    string cell = cells[columnIndex[i]];
                    if (TimeSeriesFrame.IsMissing(cell))
                    {
                        candidate[i] = fill switch
                        {
                            TimeSeriesFill.Zero => 0,
                            TimeSeriesFill.Forward or TimeSeriesFill.Linear when haveRow => row[i],
                            _ => throw new TimeSeriesDataException(
                                $"stdin line {lineNumber}, column '{columns[i]}': missing value (fill it explicitly with --fill forward|zero)."),
                        };
                    }
                    else
                    {
                        candidate[i] = TimeSeriesFrame.ParseNumber(cell, "stdin", lineNumber, columns[i]);
                    }
                }
                if (timeIndex >= 0)
                {
                    time = cells[timeIndex].Trim();
                    if (previousTime.Length == 0)
                        numericTime = timeFormat is null && TimeSeriesFrame.IsNumericTime(time);
                    key = TimeSeriesFrame.TimeKey(time, numericTime, "stdin", lineNumber, timeColumn!, timeFormat);
                    TimeSeriesFrame.CheckOrder(key, previousKey, time, previousTime, "stdin", lineNumber, previousLine, timeColumn!);
                }
            }
            catch (TimeSeriesDataException e)
            {
                if (strict)
                    throw new CliError(e.Message);
                // A bad line is reported and skipped; the stream goes on with the next one.
                output.Err.WriteLine($"skipped: {e.Message}");
                skipped++;
                continue;
            }
            candidate.CopyTo(row, 0);
            if (timeIndex >= 0)
            {
                previousKey = key;
                previousTime = time;
                previousLine = lineNumber;
            }
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
        output.Status($"followed {followed} new rows{(skipped > 0 ? $", skipped {skipped} bad line{(skipped == 1 ? "" : "s")}" : "")}");
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
