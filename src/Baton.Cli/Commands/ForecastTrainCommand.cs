using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using Baton.Cli.Cli;
using Baton.Data;
using Baton.IO;
using Baton.Training;

namespace Baton.Cli.Commands;

/// <summary>
/// <c>baton forecast train</c>: reads a CSV (or generates the built-in data set), splits it in time
/// 70 / 15 / 15, trains a recurrent forecaster on the training windows, keeps the weights of the best
/// validation loss, and scores the test part beside the seasonal-naive and last-value baselines.
/// Writes DIR/model.safetensors, DIR/forecast.png (and DIR/data.csv for built-in data).
/// </summary>
internal static class ForecastTrainCommand
{
    private static readonly string[] Datasets = ["energy", "sensor"];

    public static Command Create()
    {
        var csv = new Option<string?>("--csv") { Description = "CSV file with a header; without it the built-in --dataset is generated and written to DIR/data.csv" };
        var dataset = CliOptions.Choice("--dataset", "Built-in generated series used without --csv", "energy", Datasets);
        var target = new Option<string[]>("--target") { Description = "Target column(s) to forecast: COL or COL,COL (required with --csv)", AllowMultipleArgumentsPerToken = true };
        var features = new Option<string[]>("--features") { Description = "Other input columns the model reads (the targets' own history is always read)", AllowMultipleArgumentsPerToken = true };
        var time = new Option<string?>("--time") { Description = "Time column (ISO 8601 dates or numbers), checked sorted and unique (default: a column named time, date, datetime, timestamp or ds)" };
        var window = CliOptions.Int("--window", "Input window W (rows the model reads per forecast)", 48);
        var horizon = CliOptions.Int("--horizon", "Forecast horizon K (steps predicted at once)", 12);
        var cell = CliOptions.Choice("--cell", "Recurrent cell", "lstm", "lstm", "gru", "rnn", "mingru", "minlstm");
        var hidden = CliOptions.Int("--hidden", "Hidden size", 64);
        var layers = CliOptions.Int("--layers", "Stacked recurrent layers", 1);
        var steps = CliOptions.Int("--steps", "Training steps (the best validation weights are kept)", 800);
        var batch = CliOptions.Int("--batch", "Windows per training step", 32);
        var rate = CliOptions.Float("--lr", "Adam learning rate (cosine decay)", 3e-3f, 1e-6f, 1f);
        var seed = CliOptions.Int("--seed", "Seed for initialisation and batch order", 1, min: 0);
        var season = CliOptions.Int("--season", "Season length for seasonal naive and MASE (0 = detect by autocorrelation)", 0, min: 0);
        var fill = CliOptions.Choice("--fill", "Missing values: an error, or filled as asked", "none", "none", "forward", "linear", "zero");
        var outDir = new Option<string>("--out") { Description = "Output folder", DefaultValueFactory = _ => "forecast-out" };

        var command = new Command("train", "Train a forecaster on a CSV time series (or the built-in data) and score the test part beside baselines.")
        {
            csv, dataset, target, features, time, window, horizon, cell, hidden, layers, steps, batch, rate, seed, season, fill, outDir,
        };
        command.SetAction(parse =>
        {
            var output = new Output(parse);
            var settings = new Settings(parse.GetValue(csv), parse.GetValue(dataset)!, ForecastCommand.Names(parse.GetValue(target)),
                ForecastCommand.Names(parse.GetValue(features)), parse.GetValue(time), parse.GetValue(window), parse.GetValue(horizon),
                parse.GetValue(season), ForecastCommand.Fill(parse.GetValue(fill)), parse.GetValue(outDir)!);
            var options = new ForecastOptions
            {
                Cell = parse.GetValue(cell)!,
                Hidden = parse.GetValue(hidden),
                Layers = parse.GetValue(layers),
                Steps = parse.GetValue(steps),
                BatchSize = parse.GetValue(batch),
                LearningRate = parse.GetValue(rate),
                Seed = (ulong)parse.GetValue(seed),
            };
            return ForecastCommand.OneThreadUnlessAsked(parse, () => Run(settings, options, output));
        });
        return command;
    }

    private sealed record Settings(string? Csv, string Dataset, string[] Targets, string[] Features, string? Time,
        int Window, int Horizon, int Season, TimeSeriesFill Fill, string OutDir);

    private static int Run(Settings settings, ForecastOptions options, Output output)
    {
        var (frame, targets, features) = ForecastCommand.BadInputAsCliError(() => LoadData(settings, output));
        var data = ForecastCommand.BadInputAsCliError(() => new ForecastData(frame, targets, features, settings.Window, settings.Horizon));
        var split = data.Split;
        var targetValues = Enumerable.Range(0, targets.Length).Select(data.TargetValues).ToArray();
        int[] seasons = ForecastCommand.BadInputAsCliError(() =>
        {
            if (settings.Season >= split.TrainEnd)
                throw new TimeSeriesDataException($"--season {settings.Season} is not shorter than the training part ({split.TrainEnd} rows).");
            var found = ForecastEvaluation.Seasons(targetValues, split.TrainEnd, settings.Season);
            for (int j = 0; j < found.Length; j++)
                ForecastMetrics.SeasonalNaiveScale(targetValues[j].AsSpan(0, split.TrainEnd), found[j]);
            return found;
        });
        output.Status($"{frame.Length} rows: train {split.TrainEnd}, validation {split.ValidationEnd - split.TrainEnd}, test {split.Length - split.ValidationEnd}; " +
            $"inputs {string.Join(", ", data.Inputs)}; targets {string.Join(", ", targets)}; window {data.Window}, horizon {data.Horizon}; " +
            $"season {string.Join(", ", seasons)}{(settings.Season > 0 ? "" : " (detected)")}");
        output.Status($"training {options.Cell} hidden {options.Hidden} x {options.Layers} layer(s), {options.Steps} steps, batch {options.BatchSize}");

        long every = Math.Max(1, options.Steps / 8);
        var trained = ForecastTrainer.Train(data, options, p =>
        {
            if (p.Step % every == 0 || p.Step == p.MaxSteps)
                output.Status($"  step {p.Step}/{p.MaxSteps}  loss {p.Loss:F4}{(p.ValidationLoss is double v ? $"  validation {v:F4}" : "")}  {p.Elapsed.TotalSeconds:F1}s");
        });
        if (trained.Training.Reason == StopReason.Diverged || !double.IsFinite(trained.ValidationLoss))
            throw new CliError($"training failed: {trained.Training.Message}", ExitCodes.Failure);
        output.Status($"kept the weights of step {trained.BestStep} (validation MSE {trained.ValidationLoss:F4} in standardised units)");

        var (start, end) = split.TestOrigins(data.Horizon);
        var predictor = new ForecastPredictor(trained.Model);
        double[] rows = RawRows(frame, data.Inputs);
        double[] predictions = predictor.Predict(rows, start, end);
        var report = ForecastEvaluation.Evaluate(targetValues, split.TrainEnd, start, end, data.Horizon, predictions, seasons);

        Directory.CreateDirectory(settings.OutDir);
        string modelPath = Path.Combine(settings.OutDir, "model.safetensors");
        var metadata = new Dictionary<string, string>();
        if (frame.TimeName is not null)
            metadata[ForecastPredictCommand.TimeMetadataKey] = frame.TimeName;
        string plotPath = Path.Combine(settings.OutDir, "forecast.png");
        bool root = Baton.Distributed.DataParallel.Current is not { IsRoot: false };   // under MPI rank 0 alone writes
        if (root)
            ModelFile.Save(trained.Model, modelPath, metadata);
        if (root)
            Plot(plotPath, frame, targets[0], targetValues[0], start, end, data.Horizon, targets.Length, predictions, seasons[0]);

        PrintReport(output, report, data.Horizon);
        output.Line($"model: {modelPath}");
        output.Line($"plot:  {plotPath}");
        var result = new JsonObject
        {
            ["test"] = Json(report.Model),
            ["baselines"] = new JsonObject
            {
                ["seasonal_naive"] = Json(report.SeasonalNaive),
                ["last_value"] = Json(report.LastValue),
            },
            ["model"] = modelPath,
        };
        if (Baton.Distributed.DataParallel.Current is { } job)
            result["ranks"] = job.Size;
        output.Result(result);
        return ExitCodes.Ok;
    }

    private static (TimeSeriesFrame Frame, string[] Targets, string[] Features) LoadData(Settings settings, Output output)
    {
        if (settings.Csv is null)
        {
            var frame = settings.Dataset == "sensor" ? TimeSeriesGenerator.Sensor() : TimeSeriesGenerator.Energy();
            Directory.CreateDirectory(settings.OutDir);
            string path = Path.Combine(settings.OutDir, "data.csv");
            if (Baton.Distributed.DataParallel.Current is not { IsRoot: false })
                AtomicFile.Write(path, stream =>
            {
                using var writer = new StreamWriter(stream, leaveOpen: true);
                frame.WriteCsv(writer);
            });
            output.Status($"built-in {settings.Dataset} data set written to {path}");
            string[] targets = settings.Targets.Length > 0 ? settings.Targets : [frame.Names[^1]];
            string[] features = settings.Features.Length > 0 ? settings.Features : [.. frame.Names.Where(n => !targets.Contains(n))];
            foreach (string name in targets.Concat(features))
                frame.Column(name);
            return (frame, targets, features);
        }
        CliOptions.ExistingFile(settings.Csv, "--csv");
        var table = CsvTable.Load(settings.Csv);
        if (settings.Targets.Length == 0)
            throw new TimeSeriesDataException($"--target is required with --csv (columns: {string.Join(", ", table.Columns)}).");
        string? time = settings.Time ?? TimeSeriesFrame.GuessTimeColumn(table);
        var columns = settings.Targets.Concat(settings.Features.Where(f => !settings.Targets.Contains(f))).ToArray();
        var loaded = TimeSeriesFrame.FromTable(table, time, columns, settings.Fill);
        return (loaded, settings.Targets, settings.Features);
    }

    /// <summary>Raw rows [n, I] of <paramref name="columns"/>.</summary>
    internal static double[] RawRows(TimeSeriesFrame frame, IReadOnlyList<string> columns)
    {
        int I = columns.Count;
        var rows = new double[frame.Length * I];
        for (int c = 0; c < I; c++)
        {
            double[] values = frame.Column(columns[c]);
            for (int r = 0; r < frame.Length; r++)
                rows[r * I + c] = values[r];
        }
        return rows;
    }

    private static void PrintReport(Output output, ForecastReport report, int horizon)
    {
        output.Line($"test part: {report.Origins} forecast origins x {horizon} steps");
        output.Line($"{"",-16}{"MAE",12}{"RMSE",12}{"sMAPE %",12}{"MASE",10}");
        Row(output, "model", report.Model);
        Row(output, "seasonal naive", report.SeasonalNaive);
        Row(output, "last value", report.LastValue);
    }

    private static void Row(Output output, string name, ForecastScores s) =>
        output.Line(string.Create(CultureInfo.InvariantCulture, $"{name,-16}{s.Mae,12:G5}{s.Rmse,12:G5}{s.Smape,12:F3}{s.Mase,10:F4}"));

    private static JsonObject Json(ForecastScores s) => new()
    {
        ["mae"] = s.Mae,
        ["rmse"] = s.Rmse,
        ["smape"] = s.Smape,
        ["mase"] = s.Mase,
    };

    private static void Plot(string path, TimeSeriesFrame frame, string target, double[] y, int start, int end, int horizon,
        int targets, double[] predictions, int season)
    {
        int origins = end - start;
        double[] xs = [.. Enumerable.Range(start + 1, origins + horizon - 1).Select(r => (double)r)];
        double[] actual = [.. xs.Select(x => y[(int)x])];
        var oneStep = new double[xs.Length];
        var lastStep = new double[xs.Length];
        var naive = new double[xs.Length];
        Array.Fill(oneStep, double.NaN);
        Array.Fill(lastStep, double.NaN);
        for (int o = 0; o < origins; o++)
        {
            oneStep[o] = predictions[o * horizon * targets];
            lastStep[o + horizon - 1] = predictions[((o + 1) * horizon - 1) * targets];
        }
        for (int i = 0; i < xs.Length; i++)
            naive[i] = ForecastBaselines.SeasonalNaive(y, (int)xs[i] - 1, 1, season);
        var series = new List<Plots.Series>
        {
            new("actual", xs, actual),
            new("model, 1 step ahead", xs, oneStep),
        };
        if (horizon > 1)
            series.Add(new($"model, {horizon} steps ahead", xs, lastStep));
        series.Add(new($"seasonal naive (season {season})", xs, naive));
        string xLabel = frame.TimeName is null ? "row" : $"row (from {frame.Times[start + 1]})";
        Plots.Lines(path, $"{target}: forecast vs actual over the test part", xLabel, target, series);
    }
}
