using Baton.Layers;
using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using Baton.Cli.Cli;
using Baton.Data;
using Baton.IO;
using Baton.Models;
using Baton.Training;

namespace Baton.Cli.Commands;

/// <summary>
/// <c>baton classify train</c>: reads labelled sequences (a long-format CSV, or the built-in data), splits whole sequences
/// 70 / 15 / 15 stratified by label, trains a recurrent classifier (weights of the best validation loss kept), and scores
/// the test sequences beside the majority class and a pooled (non-recurrent) logistic regression. Writes DIR/model.safetensors,
/// DIR/metrics.json, DIR/confusion.png, DIR/training.png (and for built-in data DIR/data.csv, and for motion DIR/fraction.png).
/// Bad input exits 2 before anything is written.
/// </summary>
internal static class ClassifyTrainCommand
{
    private static readonly string[] Datasets = ["motion", "speech"];

    /// <summary>The options of a training run (one instance per command: <c>classify</c> and <c>classify train</c> both take them).</summary>
    internal sealed class TrainOptions
    {
        public readonly Option<string?> Csv = new("--csv") { Description = "Long-format CSV: one row per step, --id names each row's sequence; without it the built-in --dataset is generated and written to DIR/data.csv" };
        public readonly Option<string?> Audio = new("--audio") { Description = "Folder with one subfolder of WAV files per label (the folder name is the label); the model reads log-mel frames" };
        public readonly Option<string> Dataset = CliOptions.Choice("--dataset", "Built-in data used without --csv or --audio: the cat's jumps, or spoken digits (English and Mandarin)", "motion", Datasets);
        public readonly Option<int> Sequences = CliOptions.Int("--sequences", "Built-in data: jumps generated (default 3000), or about this many recordings of the speech data (default all)", 0, min: 0, max: 10_000_000);
        public readonly Option<string?> Id = new("--id") { Description = "Column naming the sequence of each row (required with --csv)" };
        public readonly Option<string?> Label = new("--label") { Description = "Column with each sequence's label, the same on all its rows (required with --csv)" };
        public readonly Option<string?> Time = new("--time") { Description = "Column ordering the rows of a sequence, numbers or dates (default: file order)" };
        public readonly Option<string[]> Features = new("--features") { Description = "Feature columns A,B,... (default: every other numeric column)", AllowMultipleArgumentsPerToken = true };
        public readonly Option<string> Cell = CliOptions.Choice("--cell", "Recurrent cell", "gru", [.. CellKinds.Names]);
        public readonly Option<int> Hidden = CliOptions.Int("--hidden", "Hidden size", 64, max: CliOptions.MaxWidth);
        public readonly Option<int> Layers = CliOptions.Int("--layers", "Stacked recurrent layers", 1, max: CliOptions.MaxLayers);
        public readonly Option<bool> Bidirectional = new("--bidirectional") { Description = "Read each sequence both ways; early predictions then re-read every prefix (default: on for the speech data, off otherwise; --bidirectional false turns it off)" };
        public readonly Option<int> Epochs = CliOptions.Int("--epochs", "Passes over the training sequences (the best validation weights are kept)", 30, max: 1_000_000);
        public readonly Option<float> Minutes = CliOptions.Float("--minutes", "Stop training after this many minutes (0 = no limit)", 0, 0, 1e6f);
        public readonly Option<int> Batch = CliOptions.Int("--batch", "Sequences per training step", 32, max: 65_536);
        public readonly Option<float> Rate = CliOptions.Float("--lr", "Adam learning rate (cosine decay)", 3e-3f, 1e-6f, 1f);
        public readonly Option<string> ClassWeights = CliOptions.Choice("--class-weights", "Loss weight per class: N / (classes · n_class), or none", "balanced", "balanced", "none");
        public readonly Option<int> Seed = CliOptions.Int("--seed", "Seed for the data, split, initialisation and batch order", 1, min: 0, max: int.MaxValue);
        public readonly Option<string> Out = new("--out") { Description = "Output folder", DefaultValueFactory = _ => "classify-out" };
        public readonly Option<string> Device = DeviceOption.Create("Where the network trains: cpu (the CPU engine), cuda (an NVIDIA GPU through ILGPU) or emulate (the GPU code on ILGPU's CPU emulation, slow); the data, baselines and evaluation stay on the CPU");

        public void AddTo(Command command)
        {
            foreach (Option option in new Option[] { Csv, Audio, Dataset, Sequences, Id, Label, Time, Features, Cell, Hidden, Layers, Bidirectional,
                Epochs, Minutes, Batch, Rate, ClassWeights, Seed, Out, Device })
                command.Options.Add(option);
        }
    }

    public static Command Create()
    {
        var options = new TrainOptions();
        var command = new Command("train", "Train a sequence classifier on a long-format CSV (or the built-in data) and score the test sequences beside baselines.");
        options.AddTo(command);
        command.SetAction(parse => Invoke(parse, options));
        return command;
    }

    internal static int Invoke(ParseResult parse, TrainOptions o)
    {
        var output = new Output(parse);
        var settings = new Settings(parse.GetValue(o.Csv), parse.GetValue(o.Audio), parse.GetValue(o.Dataset)!, parse.GetValue(o.Sequences), parse.GetValue(o.Id),
            parse.GetValue(o.Label), parse.GetValue(o.Time), CliOptions.Names(parse.GetValue(o.Features)), parse.GetValue(o.Out)!,
            DeviceOption.Read(parse, o.Device));
        var options = new ClassifyOptions
        {
            Cell = parse.GetValue(o.Cell)!,
            Hidden = parse.GetValue(o.Hidden),
            Layers = parse.GetValue(o.Layers),
            Bidirectional = parse.GetResult(o.Bidirectional) is not { Implicit: false }
                ? parse.GetValue(o.Csv) is null && parse.GetValue(o.Audio) is null && parse.GetValue(o.Dataset) == "speech"
                : parse.GetValue(o.Bidirectional),
            Epochs = parse.GetValue(o.Epochs),
            Minutes = parse.GetValue(o.Minutes),
            BatchSize = parse.GetValue(o.Batch),
            LearningRate = parse.GetValue(o.Rate),
            BalanceClasses = parse.GetValue(o.ClassWeights) == "balanced",
            Seed = (ulong)parse.GetValue(o.Seed),
        };
        return GlobalOptions.OneThreadUnlessAsked(parse, () => Run(settings, options, output));
    }

    private sealed record Settings(string? Csv, string? Audio, string Dataset, int Sequences, string? Id, string? Label, string? Time, string[] Features, string OutDir,
        ComputeDevice Device);

    /// <summary>Loaded data: the sequences, the columns they came from, and for built-in motion data the jumps and the table to write.</summary>
    private sealed record Loaded(LabeledSequences Data, string Source, string Id, string Label, string? Time, CatJump[]? Jumps, CsvTable? Generated,
        string[]? ClassOrder = null, AudioFeatureOptions? Audio = null, int[]? FixedTest = null);

    private static int Run(Settings settings, ClassifyOptions options, Output output)
    {
        // The device is checked and opened before the data is read: a refusal writes nothing.
        var probe = new ModelConfig
        {
            Task = "classify", Cell = options.Cell, Hidden = options.Hidden, Layers = options.Layers, Bidirectional = options.Bidirectional, InputSize = 1, OutputSize = 2,
        };
        DeviceOption.CheckTrainable(settings.Device, probe, ClassifyTrainer.TrainerOptions(options, 1, validate: true, classWeights: null));
        using var accelerator = DeviceOption.Open(settings.Device);
        if (accelerator is not null)
            output.Status($"training on {accelerator.Name} ({ComputeDevices.Name(settings.Device)})");
        var loaded = ClassifyCommand.BadInputAsCliError(() => Load(settings, options.Seed));
        var data = loaded.Data;
        string[] classes = loaded.ClassOrder ?? LabeledSequences.ClassNames(data.Labels!);
        if (classes.Length < 2)
            throw new CliError($"{loaded.Source}: every sequence has the label '{classes[0]}'; a classifier needs at least two classes.");
        var classIndex = classes.Select((name, c) => (name, c)).ToDictionary(p => p.name, p => p.c, StringComparer.Ordinal);
        int[] labels = [.. data.Labels!.Select(l => classIndex[l])];
        var split = Split(labels, classes.Length, options.Seed, loaded.FixedTest);
        if (split.Test.Length == 0)
            throw new CliError($"{loaded.Source}: {data.Count} sequences are too few to hold some out for testing (at least two of a class are needed).");
        int I = data.InputSize;
        var (mean, std) = SequenceScaling.Fit(split.Train.Select(i => data.Features[i]), I);
        SequenceExample Example(int i) => new(null, SequenceScaling.Apply(data.Features[i], mean, std), labels[i]);
        var train = split.Train.Select(Example).ToArray();
        var validation = split.Validation.Select(Example).ToArray();
        var config = new ModelConfig
        {
            Task = "classify",
            Cell = options.Cell,
            Hidden = options.Hidden,
            Layers = options.Layers,
            Bidirectional = options.Bidirectional,
            InputSize = I,
            OutputSize = classes.Length,
            Classes = classes,
            Features = data.FeatureNames,
            FeatureMean = mean,
            FeatureStd = std,
            Audio = loaded.Audio,
        };
        int[] lengths = [.. Enumerable.Range(0, data.Count).Select(data.Length)];
        output.Status($"{data.Count} sequences ({lengths.Min()}–{lengths.Max()} steps, median {Median(lengths)}) of {I} feature(s) " +
            $"[{(I <= 8 ? string.Join(", ", data.FeatureNames) : $"{data.FeatureNames[0]} … {data.FeatureNames[^1]}")}], {classes.Length} classes; split by sequence: train {split.Train.Length}, " +
            $"validation {split.Validation.Length}, test {split.Test.Length}");
        output.Status($"training {options.Cell}{(options.Bidirectional ? " (bidirectional)" : "")} hidden {options.Hidden} x {options.Layers} layer(s), " +
            $"{options.Epochs} epochs{(options.Minutes > 0 ? $" or {options.Minutes:G4} minutes" : "")}, batch {options.BatchSize}, " +
            $"class weights {(options.BalanceClasses ? "balanced" : "none")}");

        var trained = ClassifyTrainer.Train(config, train, validation, options, epoch =>
            output.Status(FormattableString.Invariant($"  epoch {epoch.Number}/{options.Epochs}  loss {epoch.TrainLoss:F4}") +
                (epoch.ValidationLoss is double v
                    ? FormattableString.Invariant($"  validation {v:F4}  accuracy {Percent(epoch.ValidationAccuracy ?? 0)}")
                    : "")), engineFactory: DeviceOption.Engine(accelerator));
        if (trained.Training.Reason == StopReason.Diverged)
            throw new CliError($"training failed: {trained.Training.Message}", ExitCodes.Failure);
        if (trained.History.Count == 0)
            throw new CliError("training stopped before the first epoch ended (raise --minutes).", ExitCodes.Failure);
        output.Status($"kept the weights of epoch {trained.BestEpoch} ({trained.Training.Message})");

        var predictor = new ClassifyPredictor(trained.Model);
        int[] testLabels = [.. split.Test.Select(i => labels[i])];
        int[] predicted = predictor.PredictScaled([.. split.Test.Select(i => SequenceScaling.Apply(data.Features[i], mean, std))]);
        var report = new ClassificationReport(testLabels, predicted, classes.Length);
        int majority = Enumerable.Range(0, classes.Length).OrderByDescending(c => split.Train.Count(i => labels[i] == c)).ThenBy(c => c).First();
        double majorityAccuracy = testLabels.Count(l => l == majority) / (double)testLabels.Length;
        var pooled = PooledLogisticRegression.Fit([.. split.Train.Select(i => data.Features[i])], [.. split.Train.Select(i => labels[i])], I, classes.Length);
        double pooledAccuracy = split.Test.Count(i => pooled.Predict(data.Features[i]) == labels[i]) / (double)split.Test.Length;
        MotionReport? motion = loaded.Jumps is null ? null : MotionReport.Create(data, loaded.Jumps, split.Test, labels, predicted);

        // Under MPI every rank trains the same model; rank 0 alone writes.
        bool root = Baton.Distributed.DataParallel.Current is not { IsRoot: false };
        string modelPath = Path.Combine(settings.OutDir, "model.safetensors");
        string confusionPath = Path.Combine(settings.OutDir, "confusion.png");
        string curvePath = Path.Combine(settings.OutDir, "training.png");
        string? fractionPath = motion is null ? null : Path.Combine(settings.OutDir, "fraction.png");
        if (root)
        {
            Directory.CreateDirectory(settings.OutDir);
            if (loaded.Generated is not null)
            {
                string dataPath = Path.Combine(settings.OutDir, "data.csv");
                AtomicFile.Write(dataPath, stream =>
                {
                    using var writer = new StreamWriter(stream, leaveOpen: true);
                    CsvTable.Write(writer, loaded.Generated.Columns, loaded.Generated.Rows);
                });
                output.Status($"built-in {settings.Dataset} data written to {dataPath}");
            }
            var metadata = new Dictionary<string, string> { [ClassifyCommand.IdKey] = loaded.Id, [ClassifyCommand.LabelKey] = loaded.Label };
            if (loaded.Time is not null)
                metadata[ClassifyCommand.TimeKey] = loaded.Time;
            ModelFile.Save(trained.Model, modelPath, metadata);
            ClassifyPlots.Confusion(confusionPath, $"test confusion matrix ({report.Count} sequences, accuracy {report.Accuracy:P1})", classes, report.Confusion);
            ClassifyPlots.Training(curvePath, trained.History);
            if (motion is not null)
                motion.Plot(fractionPath!);
        }

        var baselines = new JsonObject
        {
            ["majority"] = new JsonObject { ["accuracy"] = majorityAccuracy, ["class"] = classes[majority] },
            ["pooled"] = new JsonObject { ["accuracy"] = pooledAccuracy },
        };
        if (motion is not null)
        {
            baselines["last_position"] = new JsonObject { ["accuracy"] = motion.LastPositionAccuracy };
            baselines["physics"] = new JsonObject { ["accuracy"] = motion.PhysicsAccuracy };
        }
        var test = new JsonObject
        {
            ["accuracy"] = report.Accuracy,
            ["macro_f1"] = report.MacroF1,
            ["sequences"] = report.Count,
        };
        var metrics = new JsonObject
        {
            ["test"] = test.DeepClone(),
            ["per_class"] = new JsonArray([.. Enumerable.Range(0, classes.Length).Select(c => (JsonNode)new JsonObject
            {
                ["class"] = classes[c],
                ["precision"] = report.Precision[c],
                ["recall"] = report.Recall[c],
                ["f1"] = report.F1[c],
                ["support"] = report.Support[c],
            })]),
            ["confusion"] = new JsonArray([.. Enumerable.Range(0, classes.Length).Select(r =>
                (JsonNode)new JsonArray([.. Enumerable.Range(0, classes.Length).Select(c => (JsonNode)report.Confusion[r, c])]))]),
            ["baselines"] = baselines.DeepClone(),
            ["classes"] = Strings(classes),
            ["features"] = Strings(data.FeatureNames),
            ["split"] = new JsonObject { ["train"] = split.Train.Length, ["validation"] = split.Validation.Length, ["test"] = split.Test.Length, ["seed"] = options.Seed },
            ["class_weights"] = trained.ClassWeights is null ? null : new JsonArray([.. trained.ClassWeights.Select(w => (JsonNode)w)]),
            ["best_epoch"] = trained.BestEpoch,
            ["history"] = new JsonArray([.. trained.History.Select(e => (JsonNode)new JsonObject
            {
                ["epoch"] = e.Number,
                ["train_loss"] = e.TrainLoss,
                ["validation_loss"] = e.ValidationLoss,
                ["validation_accuracy"] = e.ValidationAccuracy,
            })]),
        };
        if (motion is not null)
            metrics["by_fraction"] = motion.Json();
        string metricsPath = Path.Combine(settings.OutDir, "metrics.json");
        if (root)
            AtomicFile.WriteAllText(metricsPath, metrics.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true }) + "\n");

        PrintReport(output, report, classes, majorityAccuracy, pooledAccuracy, motion);
        output.Line($"model:   {modelPath}");
        output.Line($"metrics: {metricsPath}");
        output.Line($"plots:   {confusionPath}, {curvePath}{(fractionPath is null ? "" : $", {fractionPath}")}");
        var result = new JsonObject
        {
            ["test"] = test,
            ["baselines"] = baselines,
            ["classes"] = Strings(classes),
            ["best_epoch"] = trained.BestEpoch,
            ["model"] = modelPath,
            ["metrics"] = metricsPath,
            ["device"] = ComputeDevices.Name(settings.Device),
            ["train_loss"] = trained.History[^1].TrainLoss,
            ["validation_loss"] = trained.History[^1].ValidationLoss,
        };
        if (motion is not null)
            result["by_fraction"] = motion.Json();
        output.Result(result);
        return ExitCodes.Ok;
    }

    /// <summary>The stratified split, or with <paramref name="fixedTest"/> (held-out voices) that test part and a stratified validation part of the rest.</summary>
    private static StratifiedSplit Split(int[] labels, int classes, ulong seed, int[]? fixedTest)
    {
        if (fixedTest is null)
            return StratifiedSplit.Create(labels, classes, seed);
        var isTest = new HashSet<int>(fixedTest);
        int[] rest = [.. Enumerable.Range(0, labels.Length).Where(i => !isTest.Contains(i))];
        var inner = StratifiedSplit.Create([.. rest.Select(i => labels[i])], classes, seed, validation: 0.15, test: 0);
        return new StratifiedSplit([.. inner.Train.Select(k => rest[k])], [.. inner.Validation.Select(k => rest[k])], [.. fixedTest.Order()]);
    }

    private static Loaded Load(Settings settings, ulong seed)
    {
        if (settings.Audio is not null)
        {
            if (settings.Csv is not null)
                throw new CliError("--csv and --audio cannot be used together.");
            if (!Directory.Exists(settings.Audio))
                throw new CliError($"--audio '{settings.Audio}' is not a folder (one subfolder of WAV files per label).");
            var options = ClassifyAudio.OptionsFor(settings.Audio);
            var audio = AudioSequences.FromDirectory(settings.Audio, options, labelled: true);
            return new Loaded(audio, settings.Audio, "file", "label", null, null, null, Audio: options);
        }
        if (settings.Csv is null && settings.Dataset == "speech")
        {
            var speech = ClassifyAudio.LoadSpeech(seed, settings.Sequences);
            return new Loaded(speech.Data, "speech", "file", "label", null, null, null, Audio: SpeechDigits.Options, FixedTest: speech.Test);
        }
        if (settings.Csv is null)
        {
            int count = settings.Sequences == 0 ? 3000 : settings.Sequences;
            if (count < 20)
                throw new CliError($"--sequences {count} is too few for the motion data (at least 20).");
            var jumps = MotionGenerator.Generate(count, seed);
            var table = MotionGenerator.ToTable(jumps);
            var motion = LabeledSequences.FromTable(table, "jump", "lands", "frame", MotionGenerator.Features);
            return new Loaded(motion, "motion", "jump", "lands", "frame", jumps, table, MotionScene.Classes);
        }
        CliOptions.ExistingFile(settings.Csv, "--csv");
        if (settings.Id is null)
            throw new CliError("--id is required with --csv (the column naming each row's sequence).");
        if (settings.Label is null)
            throw new CliError("--label is required with --csv (the column with each sequence's label).");
        var csv = CsvTable.Load(settings.Csv);
        var data = LabeledSequences.FromTable(csv, settings.Id, settings.Label, settings.Time, settings.Features);
        return new Loaded(data, csv.Source, settings.Id, settings.Label, settings.Time, null, null);
    }

    private static int Median(int[] values)
    {
        var sorted = values.Order().ToArray();
        return sorted[sorted.Length / 2];
    }

    private static JsonArray Strings(IEnumerable<string> values) => new([.. values.Select(v => (JsonNode)v)]);

    private static void PrintReport(Output output, ClassificationReport report, string[] classes, double majority, double pooled, MotionReport? motion)
    {
        int width = Math.Max(9, classes.Max(c => c.Length) + 2);
        output.Line($"test: {report.Count} sequences, accuracy {Percent(report.Accuracy)}, macro F1 {report.MacroF1:F3}");
        output.Line("confusion matrix (rows: true class, columns: predicted):");
        output.Line(new string(' ', width) + string.Concat(classes.Select(c => c.PadLeft(width))));
        for (int r = 0; r < classes.Length; r++)
            output.Line(classes[r].PadRight(width) + string.Concat(Enumerable.Range(0, classes.Length).Select(c => report.Confusion[r, c].ToString(CultureInfo.InvariantCulture).PadLeft(width))));
        output.Line($"{"class".PadRight(width)}{"precision",11}{"recall",9}{"F1",9}{"support",9}");
        for (int c = 0; c < classes.Length; c++)
            output.Line(string.Create(CultureInfo.InvariantCulture, $"{classes[c].PadRight(width)}{report.Precision[c],11:F3}{report.Recall[c],9:F3}{report.F1[c],9:F3}{report.Support[c],9}"));
        output.Line($"{"accuracy",-26}{"test",8}");
        output.Line($"{"recurrent model",-26}{Percent(report.Accuracy),8}");
        output.Line($"{"majority class",-26}{Percent(majority),8}");
        output.Line($"{"pooled (mean+last, logit)",-26}{Percent(pooled),8}");
        if (motion is not null)
        {
            output.Line($"{"last position",-26}{Percent(motion.LastPositionAccuracy),8}");
            output.Line($"{"physics (parabola fit)",-26}{Percent(motion.PhysicsAccuracy),8}");
            motion.Print(output);
        }
    }

    internal static string Percent(double value) => (100 * value).ToString("F1", CultureInfo.InvariantCulture) + "%";
}
