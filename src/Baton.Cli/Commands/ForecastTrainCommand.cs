using Baton.Layers;
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
        var window = CliOptions.Int("--window", "Input window W (rows the model reads per forecast)", 48, max: 100_000);
        var horizon = CliOptions.Int("--horizon", "Forecast horizon K (steps predicted at once)", 12, max: 100_000);
        var cell = CliOptions.Choice("--cell", "Recurrent cell", "lstm", [.. CellKinds.Names]);
        var hidden = CliOptions.Int("--hidden", "Hidden size", 64, max: CliOptions.MaxWidth);
        var layers = CliOptions.Int("--layers", "Stacked recurrent layers", 1, max: CliOptions.MaxLayers);
        var steps = CliOptions.Int("--steps", "Training steps (the best validation weights are kept)", 800, max: 100_000_000);
        var batch = CliOptions.Int("--batch", "Windows per training step", 32, max: 65_536);
        var rate = CliOptions.Float("--lr", "Adam learning rate (cosine decay)", 3e-3f, 1e-6f, 1f);
        var seed = CliOptions.Int("--seed", "Seed for initialisation and batch order", 1, min: 0, max: int.MaxValue);
        var season = new Option<string[]>("--season") { Description = "Season length(s) for the seasonal lags, smoothing, seasonal naive and MASE, e.g. 12 or 48,336 (default: detected from autocorrelation and the time column's calendar)", AllowMultipleArgumentsPerToken = true };
        var fill = CliOptions.Choice("--fill", "Missing values, gaps in the time column and outliers: an error, or filled as asked", "none", "none", "forward", "linear", "zero");
        var test = CliOptions.Int("--test", "Rows held out for the test at the end (0 = the last 15 %)", 0, min: 0, max: int.MaxValue);
        var timeFormat = new Option<string?>("--time-format") { Description = "Date format of the time column when it is not ISO 8601, e.g. dd/MM/yyyy or MM/dd/yyyy HH:mm" };
        var allowOutliers = new Option<bool>("--allow-outliers") { Description = "Keep isolated spikes (a jump of more than 10 robust deviations and back; else refused, or replaced with --fill)" };
        var normalise = CliOptions.Choice("--normalise", "Target scaling: window = relative to each window's last season (restored at the output), global = training mean and std", "window", "window", "global");
        var lags = CliOptions.Choice("--lags", "Seasonal-lag inputs (the values one and two seasons before each forecast step)", "seasons", "seasons", "none");
        var baseOption = CliOptions.Choice("--base", "Classical forecast the network corrects (the correction's weight is chosen on validation): auto = the best on rolling-origin validation of ets, naive and combined; ets = Holt-Winters fitted on the training part; naive = seasonal naive of the primary season; combined = the mean of the two", "auto", "auto", "ets", "naive", "combined", "none");
        var outDir = new Option<string>("--out") { Description = "Output folder", DefaultValueFactory = _ => "forecast-out" };
        var device = DeviceOption.Create("Where the network trains: cpu (the CPU engine), cuda (an NVIDIA GPU through ILGPU) or emulate (the GPU code on ILGPU's CPU emulation, slow); the data, bases and evaluation stay on the CPU");

        var command = new Command("train", "Train a forecaster on a CSV time series (or the built-in data) and score the test part beside baselines. Runs on 1 thread unless --threads is given.")
        {
            csv, dataset, target, features, time, window, horizon, cell, hidden, layers, steps, batch, rate, seed, season, fill, test,
            timeFormat, allowOutliers, normalise, lags, baseOption, outDir, device,
        };
        command.SetAction(parse =>
        {
            var output = new Output(parse);
            var settings = new Settings(parse.GetValue(csv), parse.GetValue(dataset)!, CliOptions.Names(parse.GetValue(target)),
                CliOptions.Names(parse.GetValue(features)), parse.GetValue(time), parse.GetValue(window), parse.GetValue(horizon),
                Seasons(parse.GetValue(season)), ForecastCommand.Fill(parse.GetValue(fill)), parse.GetValue(outDir)!, parse.GetValue(test),
                parse.GetValue(timeFormat), parse.GetValue(allowOutliers),
                parse.GetValue(normalise) == "window" ? ForecastNormalisation.Window : ForecastNormalisation.Global,
                parse.GetValue(lags) == "seasons", BaseKind(parse.GetValue(baseOption)!), DeviceOption.Read(parse, device));
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
            return GlobalOptions.OneThreadUnlessAsked(parse, () => Run(settings, options, output));
        });
        return command;
    }

    private sealed record Settings(string? Csv, string Dataset, string[] Targets, string[] Features, string? Time,
        int Window, int Horizon, int[] Season, TimeSeriesFill Fill, string OutDir, int Test, string? TimeFormat, bool AllowOutliers,
        ForecastNormalisation Normalisation, bool Lags, ForecastBase? Base, ComputeDevice Device);

    /// <summary>The base named by --base; null for auto (chosen on validation).</summary>
    private static ForecastBase? BaseKind(string name) => name switch
    {
        "ets" => ForecastBase.Ets,
        "naive" => ForecastBase.SeasonalNaive,
        "combined" => ForecastBase.Combined,
        "none" => ForecastBase.None,
        _ => null,
    };

    private static int[] Seasons(string[]? values)
    {
        var seasons = new List<int>();
        foreach (string text in CliOptions.Names(values))
        {
            if (!int.TryParse(text, System.Globalization.NumberStyles.None, CultureInfo.InvariantCulture, out int m) || m > 100_000)
                throw new CliError($"--season must be whole numbers from 0 to 100000, e.g. 12 or 48,336 (got '{text}').");
            if (m > 0)
                seasons.Add(m);
        }
        return [.. seasons.Distinct()];
    }

    private static int Run(Settings settings, ForecastOptions options, Output output)
    {
        // The device is checked and opened before the data is read: a refusal writes nothing.
        var probe = new Baton.Models.ModelConfig { Task = "forecast", Cell = options.Cell, Hidden = options.Hidden, Layers = options.Layers, InputSize = 1, OutputSize = 1 };
        DeviceOption.CheckTrainable(settings.Device, probe, ForecastTrainer.TrainerOptions(options));
        using var accelerator = DeviceOption.Open(settings.Device);
        if (accelerator is not null)
            output.Status($"training on {accelerator.Name} ({ComputeDevices.Name(settings.Device)})");
        var (frame, targets, features) = ForecastCommand.BadInputAsCliError(() => LoadData(settings, output));
        foreach (string note in frame.Notes)
            output.Status(note);
        var plain = ForecastCommand.BadInputAsCliError(() => new ForecastData(frame, targets, features, settings.Window, settings.Horizon,
            ForecastScheme.Legacy, settings.Test));
        var split = plain.Split;
        var targetValues = Enumerable.Range(0, targets.Length).Select(plain.TargetValues).ToArray();
        var (seasons, primary) = ForecastCommand.BadInputAsCliError(() =>
        {
            foreach (int m in settings.Season)
            {
                if (m >= split.TrainEnd)
                    throw new TimeSeriesDataException($"--season {m} is not shorter than the training part ({split.TrainEnd} rows).");
            }
            var found = settings.Season.Length > 0
                ? ([.. settings.Season.Order()], settings.Season[0])
                : TimeSeriesSeason.DetectAll(targetValues[0].AsSpan(0, split.TrainEnd), ForecastEvaluation.MaxSeasonLag,
                    frame.Step?.CalendarSeasons() ?? []);
            foreach (double[] y in targetValues)
                ForecastMetrics.SeasonalNaiveScale(y.AsSpan(0, split.TrainEnd), found.Item1[0]);
            return found;
        });
        int[] scaleSeasons = [.. targets.Select(_ => seasons[0])];
        var ets = ForecastCommand.BadInputAsCliError(() =>
            targetValues.Select(y => TimeSeriesHoltWinters.Fit(y.AsSpan(0, split.TrainEnd), primary).Model).ToArray());
        int[] mainSeasons = [.. seasons.Where(m => m > 1).OrderBy(m => m == primary ? 0 : 1).Take(2)];
        int[] lagSeasons = settings.Lags ? mainSeasons : [];
        int[] naiveSeasons = mainSeasons.Length > 0 ? mainSeasons : [1];
        var choice = settings.Base is null
            ? ForecastCommand.BadInputAsCliError(() => ForecastBaseChoice.Choose(targetValues, split, settings.Horizon, primary, naiveSeasons, ets, seasons[0]))
            : null;
        ForecastScheme Scheme(ForecastBase kind, int naiveSeason) => new()
        {
            Normalisation = settings.Normalisation,
            LagSeasons = lagSeasons,
            LevelRows = Math.Clamp(primary, 1, settings.Window),
            Base = kind,
            Ets = kind is ForecastBase.Ets or ForecastBase.Combined ? ets : [],
            BaseSeason = kind is ForecastBase.SeasonalNaive or ForecastBase.Combined ? naiveSeason : 0,
        };
        // --base auto: the network is trained on the smoothing and, when the validation prefers another base, on that
        // one too; the forecaster (base + weighted correction) with the lower validation error is kept.
        var schemes = choice is null ? [Scheme(settings.Base!.Value, naiveSeasons[0])]
            : choice.Base == ForecastBase.Ets ? [Scheme(ForecastBase.Ets, 0)]
            : new[] { Scheme(ForecastBase.Ets, 0), Scheme(choice.Base, choice.Season) };

        output.Status($"{frame.Length} rows{(frame.Step is TimeSeriesStep step ? $", {step} apart" : "")}: " +
            $"train {Part(frame, 0, split.TrainEnd)}, validation {Part(frame, split.TrainEnd, split.ValidationEnd)}, test {Part(frame, split.ValidationEnd, split.Length)}");
        output.Status($"inputs {string.Join(", ", plain.Columns)}; targets {string.Join(", ", targets)}; window {plain.Window}, horizon {plain.Horizon}; " +
            $"season{(seasons.Length > 1 ? "s" : "")} {string.Join(", ", seasons)}{(settings.Season.Length > 0 ? "" : " (detected)")}, primary {primary}; " +
            $"smoothing {string.Join(", ", ets.Select(p => p.ToString()))}");
        if (choice is not null)
            output.Status($"bases on validation: {choice.Describe()}");

        ForecastData? data = null;
        ForecastTrainer.Result? trained = null;
        var networks = new JsonObject();
        foreach (var scheme in schemes)
        {
            var candidate = ForecastCommand.BadInputAsCliError(() => new ForecastData(frame, targets, features, settings.Window, settings.Horizon,
                scheme, settings.Test));
            output.Status($"scheme: {scheme.Describe()}");
            output.Status($"training {options.Cell} hidden {options.Hidden} x {options.Layers} layer(s), {options.Steps} steps, batch {options.BatchSize}");
            long every = Math.Max(1, options.Steps / 8);
            var run = ForecastTrainer.Train(candidate, options, p =>
            {
                if (p.Step % every == 0 || p.Step == p.MaxSteps)
                    output.Status($"  step {p.Step}/{p.MaxSteps}  loss {p.Loss:F4}{(p.ValidationLoss is double v ? $"  validation {v:F4}" : "")}  {p.Elapsed.TotalSeconds:F1}s");
            }, engineFactory: DeviceOption.Engine(accelerator));
            if (run.Training.Reason == StopReason.Diverged || !double.IsFinite(run.ValidationLoss))
                throw new CliError($"training failed: {run.Training.Message}", ExitCodes.Failure);
            output.Status($"kept the weights of step {run.BestStep} (validation MSE {run.ValidationLoss:F4} in standardised units)" +
                (scheme.Base == ForecastBase.None ? "" : $"; network weight {run.Scheme.Blend.ToString("0.##", CultureInfo.InvariantCulture)} on top of the base (chosen on validation)") +
                $"; validation error {run.ValidationError.ToString("F4", CultureInfo.InvariantCulture)}");
            networks[scheme.DescribeBase()] = run.ValidationError;
            if (trained is null || run.ValidationError < trained.ValidationError)
            {
                (data, trained) = (candidate, run);
            }
        }
        if (data is null || trained is null)
            throw new InvalidOperationException("no forecaster was trained.");
        if (schemes.Length > 1)
            output.Status($"kept the network on {data.Scheme.DescribeBase()} (lower validation error)");

        // The choices are made: the smoothing is refitted on the training and validation rows for the test and later forecasts.
        var refitted = ForecastCommand.BadInputAsCliError(() =>
            targetValues.Select(y => TimeSeriesHoltWinters.Fit(y.AsSpan(0, split.ValidationEnd), primary).Model).ToArray());
        var final = ForecastTrainer.WithSmoothing(trained.Scheme, refitted);
        if (final.UsesSmoothing)
            output.Status($"smoothing refitted on the training and validation rows: {string.Join(", ", refitted.Select(p => p.ToString()))}");
        var (start, end) = split.TestOrigins(data.Horizon);
        var predictor = new ForecastPredictor(trained.Model, final);
        double[] predictions = predictor.Predict(data.Rows, start, end);
        double[] etsForecasts = ForecastEvaluation.EtsForecasts(targetValues, refitted, start, end, data.Horizon);
        var report = ForecastEvaluation.Evaluate(targetValues, split.TrainEnd, start, end, data.Horizon, predictions, scaleSeasons,
            etsForecasts, [.. seasons.Where(m => m > 1)]);
        ForecastScores? baseScores = null;
        if (final.Base != ForecastBase.None)
        {
            double[] baseForecasts = new ForecastPredictor(trained.Model, final with { Blend = 0 }).Predict(data.Rows, start, end);
            baseScores = ForecastEvaluation.Evaluate(targetValues, split.TrainEnd, start, end, data.Horizon, baseForecasts, scaleSeasons).Model;
        }

        Directory.CreateDirectory(settings.OutDir);
        string modelPath = Path.Combine(settings.OutDir, "model.safetensors");
        var metadata = new Dictionary<string, string> { [ForecastScheme.MetadataKey] = final.ToJson() };
        if (frame.TimeName is not null)
            metadata[ForecastPredictCommand.TimeMetadataKey] = frame.TimeName;
        if (settings.TimeFormat is not null)
            metadata[ForecastPredictCommand.TimeFormatMetadataKey] = settings.TimeFormat;
        string plotPath = Path.Combine(settings.OutDir, "forecast.png");
        if (Baton.Distributed.DataParallel.Current is not { IsRoot: false })   // under MPI rank 0 alone writes
        {
            ModelFile.Save(trained.Model, modelPath, metadata);
            Plot(plotPath, frame, targets[0], targetValues[0], start, end, data.Horizon, targets.Length, predictions, primary);
        }

        PrintReport(output, report, data.Horizon, primary, baseScores is ForecastScores b ? ($"base ({BaseName(final.Base)})", b) : null);
        output.Line($"model: {modelPath}");
        output.Line($"plot:  {plotPath}");
        var baselines = new JsonObject
        {
            ["seasonal_naive"] = Json(report.SeasonalNaive),
            ["last_value"] = Json(report.LastValue),
            ["ets"] = Json(report.Ets!.Value),
        };
        if (baseScores is ForecastScores chosen)
            baselines["base"] = Json(chosen);
        foreach (var (m, scores) in report.SeasonalNaives)
            baselines[$"seasonal_naive_{m}"] = Json(scores);
        var result = new JsonObject
        {
            ["test"] = Json(report.Model),
            ["baselines"] = baselines,
            ["model"] = modelPath,
            ["seasons"] = new JsonArray([.. seasons.Select(m => (JsonNode)m)]),
            ["split"] = new JsonObject
            {
                ["train"] = split.TrainEnd,
                ["validation"] = split.ValidationEnd - split.TrainEnd,
                ["test"] = split.Length - split.ValidationEnd,
                ["test_from"] = frame.Times.Count > 0 ? frame.Times[split.ValidationEnd] : null,
            },
            ["scheme"] = final.Describe(),
            ["device"] = ComputeDevices.Name(settings.Device),
            ["train_loss"] = trained.Training.LastLoss,
            ["validation_loss"] = trained.ValidationLoss,
        };
        if (choice is not null)
        {
            var candidates = new JsonObject();
            foreach (var candidate in choice.Candidates)
                candidates[candidate.Name] = candidate.Score;
            result["base_choice"] = new JsonObject
            {
                ["base"] = final.DescribeBase(),
                ["origins"] = choice.Origins,
                ["first_origin"] = choice.FirstOrigin,
                ["scores"] = candidates,
                ["networks"] = networks,
            };
        }
        if (Baton.Distributed.DataParallel.Current is { } job)
            result["ranks"] = job.Size;
        output.Result(result);
        return ExitCodes.Ok;
    }

    private static string Part(TimeSeriesFrame frame, int from, int to) =>
        frame.Times.Count > 0 ? $"{to - from} rows ({frame.Times[from]} .. {frame.Times[to - 1]})" : $"{to - from} rows ({from} .. {to - 1})";

    private static (TimeSeriesFrame Frame, string[] Targets, string[] Features) LoadData(Settings settings, Output output)
    {
        if (settings.Csv is null)
        {
            var generated = settings.Dataset == "sensor" ? TimeSeriesGenerator.Sensor() : TimeSeriesGenerator.Energy();
            double[] keys = [.. generated.Times.Select((t, r) => TimeSeriesFrame.TimeKey(t, TimeSeriesFrame.IsNumericTime(t), settings.Dataset, r + 2, generated.TimeName ?? "time"))];
            var frame = new TimeSeriesFrame(generated.Names, generated.Columns, generated.Times, generated.TimeName)
            {
                Step = generated.Times.Count > 1 ? TimeSeriesStep.Infer(keys, TimeSeriesFrame.IsNumericTime(generated.Times[0])) : null,
            };
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
        var loaded = TimeSeriesFrame.FromTable(table, time, columns, new TimeSeriesReadOptions
        {
            Fill = settings.Fill,
            TimeFormat = settings.TimeFormat,
            AllowOutliers = settings.AllowOutliers,
        });
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

    private static string BaseName(ForecastBase kind) => kind switch
    {
        ForecastBase.Ets => "ETS",
        ForecastBase.SeasonalNaive => "naive",
        _ => "combined",
    };

    private static void PrintReport(Output output, ForecastReport report, int horizon, int primary, (string Name, ForecastScores Scores)? baseRow)
    {
        output.Line($"test part: {report.Origins} forecast origins x {horizon} steps (MASE scaled by the in-sample seasonal naive of season {report.Seasons[0]})");
        output.Line($"{"",-24}{"MAE",12}{"RMSE",12}{"sMAPE %",12}{"MASE",10}");
        Row(output, "model", report.Model);
        if (baseRow is var (baseName, baseScores))
            Row(output, baseName, baseScores);
        if (report.Ets is ForecastScores ets)
            Row(output, $"ETS (season {primary})", ets);
        foreach (var (m, scores) in report.SeasonalNaives)
            Row(output, $"seasonal naive {m}", scores);
        if (report.SeasonalNaives.Count == 0)
            Row(output, "seasonal naive", report.SeasonalNaive);
        Row(output, "last value", report.LastValue);
    }

    private static void Row(Output output, string name, ForecastScores s) =>
        output.Line(string.Create(CultureInfo.InvariantCulture, $"{name,-24}{s.Mae,12:G5}{s.Rmse,12:G5}{s.Smape,12:F3}{s.Mase,10:F4}"));

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
