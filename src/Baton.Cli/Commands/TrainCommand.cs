using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Baton.Cli.Cli;
using Baton.Data;
using Baton.Distributed;
using Baton.Gpu;
using Baton.IO;
using Baton.Lab;
using Baton.Layers;
using Baton.Models;
using Baton.Training;

namespace Baton.Cli.Commands;

/// <summary>`baton train`: a character language model on UTF-8 text, or on the built-in memory corpus.</summary>
internal static class TrainCommand
{
    /// <summary>Steps when neither --steps, --epochs nor --minutes is given (about two minutes on 2 cores with the defaults).</summary>
    public const int DefaultSteps = 1500;

    /// <summary>Sentences in the generated built-in corpus.</summary>
    public const int BuiltInSentences = 24_000;

    private static readonly Option<string[]> Data = new("--data")
    {
        Description = "UTF-8 text files to train on, joined in order; \"-\" reads standard input (default: the built-in cause → completion corpus).",
        AllowMultipleArgumentsPerToken = true,
    };
    private static readonly Option<string> Cell = CliOptions.Choice("--cell", "Recurrent cell", "lstm", [.. CellKinds.Names]);
    private static readonly Option<int> Hidden = CliOptions.Int("--hidden", "Hidden units per layer", 128, max: CliOptions.MaxWidth);
    private static readonly Option<int> Layers = CliOptions.Int("--layers", "Recurrent layers", 2, max: CliOptions.MaxLayers);
    private static readonly Option<int> EmbeddingSize = CliOptions.Int("--embedding", "Embedding width", 64, max: CliOptions.MaxWidth);
    private static readonly Option<bool> Bidirectional = new("--bidirectional") { Description = "Bidirectional layers (rejected for next-token prediction, which must not see the future)." };
    private static readonly Option<float> Dropout = CliOptions.Float("--dropout", "Dropout between layers and before the head", 0f, 0f, 0.95f);
    private static readonly Option<int> SeqLength = CliOptions.Int("--seq-length", "Tokens per training sequence (truncated BPTT length)", 100, max: 100_000);
    private static readonly Option<int> Batch = CliOptions.Int("--batch", "Parallel streams per batch", 25, max: 65_536);
    private static readonly Option<int?> Steps = CliOptions.OptionalInt("--steps", $"Optimizer steps from the start of the run, resumed or not (default {DefaultSteps}).", max: 100_000_000);
    private static readonly Option<int?> Epochs = CliOptions.OptionalInt("--epochs", "Passes over the training text (instead of --steps).", max: 1_000_000);
    private static readonly Option<double?> Minutes = CliOptions.OptionalDouble("--minutes", "Train for this many minutes (instead of --steps).", 0.001, 10_080);
    private static readonly Option<float> LearningRate = CliOptions.Float("--lr", "Learning rate", 2e-3f, 1e-8f, 10f);
    private static readonly Option<string> OptimizerKind = CliOptions.Choice("--optimizer", "Optimizer", "adam", "adam", "adamw", "sgd", "rmsprop");
    private static readonly Option<float> Clip = CliOptions.Float("--clip", "Clip the global gradient norm to this (0: no clipping)", 5f, 0f, 1e6f);
    private static readonly Option<int> Seed = CliOptions.Int("--seed", "Random seed: the same seed gives the same run", 1, 0, max: int.MaxValue);
    private static readonly Option<float> ValFraction = CliOptions.Float("--val-fraction", "Fraction of the text (its end) held out for validation", 0.05f, 0f, 0.5f);
    private static readonly Option<string> Out = new("--out") { Description = "Folder for checkpoints, best/last models and the loss curve", DefaultValueFactory = _ => Path.Combine("runs", "train") };
    private static readonly Option<string?> Resume = new("--resume") { Description = "Continue from a checkpoint written by an earlier run with the same data and options." };
    private static readonly Option<string> Tokens = CliOptions.Choice("--tokens", "Token unit", "chars", "chars", "bytes");
    private static readonly Option<int> EvalEvery = CliOptions.Int("--eval-every", "Validate and write a checkpoint every N steps", 250);
    private static readonly Option<int> Patience = CliOptions.Int("--patience", "Stop after N validations without improvement (0: never)", 0, 0);
    private static readonly Option<string> Device = DeviceOption.Create();
    private static readonly Option<int> Fillers = CliOptions.Int("--fillers", "Built-in corpus: the most filler clauses between cause and completion", 3, 0, max: 100);

    /// <summary>
    /// Refuses options given on the command line that contradict the checkpoint being resumed (the model's sizes and
    /// cell, the token unit, the optimizer, learning rate, clipping and seed it was trained with), naming each, and a
    /// --steps at or below the step the checkpoint has already reached.
    /// </summary>
    private static void CheckResumeOptions(ParseResult parse, CheckpointData checkpoint)
    {
        var config = checkpoint.Model.Config;
        var saved = checkpoint.State.Options;
        var conflicts = new List<string>();
        void Compare<T>(Option<T> option, object? stored)
        {
            if (parse.GetResult(option) is { Implicit: false } && !Equals(Convert.ToString(parse.GetValue(option), CultureInfo.InvariantCulture),
                    Convert.ToString(stored, CultureInfo.InvariantCulture)))
                conflicts.Add($"{option.Name} {Convert.ToString(parse.GetValue(option), CultureInfo.InvariantCulture)} (the checkpoint has {Convert.ToString(stored, CultureInfo.InvariantCulture)})");
        }
        Compare(Cell, config.Cell);
        Compare(Hidden, config.Hidden);
        Compare(Layers, config.Layers);
        Compare(EmbeddingSize, config.Embedding);
        Compare(Dropout, config.Dropout);
        Compare(Tokens, config.Tokens);
        Compare(OptimizerKind, saved.Optimizer.Kind);
        Compare(LearningRate, (float)saved.Optimizer.LearningRate);
        Compare(Clip, (float)saved.ClipNorm);
        Compare(Seed, (int)saved.Seed);
        if (conflicts.Count > 0)
            throw new CliError($"--resume {checkpoint.FilePath}: these options contradict the checkpoint: {string.Join("; ", conflicts)}. Leave them out to continue the same run.");
        if (parse.GetValue(Steps) is int steps && steps <= checkpoint.State.Step)
            throw new CliError($"--steps {steps} is at or below the checkpoint's step {checkpoint.State.Step}: give more steps to continue it.");
    }

    public static Command Create()
    {
        var command = new Command("train", """
            Train a character language model on UTF-8 text and write checkpoints, best/last models and a loss curve.
            With no --data it trains on the built-in corpus (Chinese and English sentences whose completion depends on a
            cause stated earlier) and finishes by completing "我肚子饿了,我想去" and measuring recall at each distance.

            Examples:
              baton train
              baton train --data book.txt --hidden 256 --layers 2 --minutes 10 --out runs/book
              baton train --data a.txt b.txt --tokens bytes --cell gru --steps 5000
              baton train --data book.txt --resume runs/book/last.safetensors --steps 8000
              baton train --data book.txt --device cuda --hidden 512
            """);
        foreach (var option in new Option[] { Data, Cell, Hidden, Layers, EmbeddingSize, Bidirectional, Dropout, SeqLength, Batch, Steps, Epochs,
                     Minutes, LearningRate, OptimizerKind, Clip, Seed, ValFraction, Out, Resume, Tokens, EvalEvery, Patience, Fillers, Device })
            command.Options.Add(option);
        command.SetAction(Run);
        return command;
    }

    private static int Run(ParseResult parse)
    {
        var output = new Output(parse);
        int given = new[] { parse.GetValue(Steps).HasValue, parse.GetValue(Epochs).HasValue, parse.GetValue(Minutes).HasValue }.Count(b => b);
        if (given > 1)
            throw new CliError("give at most one of --steps, --epochs and --minutes.");
        if (parse.GetValue(Bidirectional))
            throw new CliError("--bidirectional cannot be used for next-token prediction: the backward direction would see the token it must predict.");

        string outDir = parse.GetValue(Out)!;
        if (File.Exists(outDir))
            throw new CliError($"--out '{outDir}' is a file, not a folder.");
        string? resumePath = parse.GetValue(Resume);
        CheckpointData? checkpoint = null;
        if (resumePath is not null)
        {
            CliOptions.ExistingFile(resumePath, "--resume checkpoint");
            checkpoint = Checkpoint.Load(resumePath);
            CheckResumeOptions(parse, checkpoint);
        }

        // Everything is read and checked before anything is written to --out.
        var kind = parse.GetValue(Tokens) == "bytes" ? TokenKind.Bytes : TokenKind.Chars;
        Vocabulary? vocabulary = checkpoint is null ? null : VocabularyOf(checkpoint.Model.Config);
        string[] files = parse.GetValue(Data) ?? [];
        int fillers = parse.GetValue(Fillers);
        bool builtIn = files.Length == 0;
        foreach (string file in files)
            CliOptions.ExistingInput(file, "--data file");
        if (files.Count(f => f == "-") > 1)
            throw new CliError("--data names standard input ('-') more than once.");
        var corpus = builtIn
            ? TextCorpus.FromText(new MemoryCorpus(fillers).Generate(BuiltInSentences, seed: 20_241_127), "built-in corpus", kind, vocabulary)
            : TextCorpus.FromFiles(files, kind, vocabulary, CliContext.OpenInput);
        var (trainTokens, validationTokens) = corpus.Split(parse.GetValue(ValFraction));
        int batch = parse.GetValue(Batch), seqLength = parse.GetValue(SeqLength);
        TokenStreams streams;
        try
        {
            streams = new TokenStreams(trainTokens, validationTokens.Length > 0 ? validationTokens : null, batch, seqLength);
        }
        catch (ArgumentException e)
        {
            throw new CliError($"{corpus.Source}: {e.Message.Split(" (Parameter")[0]} Use a longer text, a smaller --batch or --seq-length, or a smaller --val-fraction.");
        }

        long maxSteps = parse.GetValue(Steps) ?? (parse.GetValue(Epochs) is int epochs ? (long)epochs * streams.BatchesPerEpoch
            : parse.GetValue(Minutes).HasValue ? long.MaxValue : DefaultSteps);
        TimeSpan? timeLimit = parse.GetValue(Minutes) is double minutes ? TimeSpan.FromMinutes(minutes) : null;
        int evalEvery = streams.ValidationBatchCount > 0 ? parse.GetValue(EvalEvery) : 0;

        var config = checkpoint?.Model.Config ?? new ModelConfig
        {
            Task = "lm",
            Cell = parse.GetValue(Cell)!,
            Layers = parse.GetValue(Layers),
            Hidden = parse.GetValue(Hidden),
            Embedding = parse.GetValue(EmbeddingSize),
            Dropout = parse.GetValue(Dropout),
            OutputSize = corpus.Vocabulary.Count,
            Tokens = kind == TokenKind.Bytes ? "bytes" : "chars",
            Vocab = corpus.Vocabulary.Tokens,
        };
        MemoryEstimate.CheckTraining(config.Cell, config.Layers, config.Hidden, config.Embedding, config.OutputSize, config.OutputSize, batch, seqLength,
            checkpoint is null ? "--hidden, --layers, --embedding, --batch and --seq-length" : "the checkpoint's sizes with --batch and --seq-length");
        var options = new TrainerOptions
        {
            Seed = (ulong)parse.GetValue(Seed),
            MaxSteps = maxSteps,
            Optimizer = new OptimizerOptions { Kind = parse.GetValue(OptimizerKind)!, LearningRate = parse.GetValue(LearningRate) },
            ClipNorm = parse.GetValue(Clip),
            EvalEvery = evalEvery,
            Patience = parse.GetValue(Patience),
            HistoryEvery = (int)Math.Clamp(maxSteps / 100, 1, 10),
            CheckpointEvery = evalEvery > 0 ? evalEvery : 500,
            CheckpointPath = Path.Combine(outDir, "last.safetensors"),
            BestModelPath = evalEvery > 0 ? Path.Combine(outDir, "best.safetensors") : null,
        };

        var device = DeviceOption.Read(parse, Device);
        DeviceOption.CheckTrainable(device, config, options);
        using var accelerator = DeviceOption.Open(device);

        Directory.CreateDirectory(outDir);
        Trainer trainer;
        if (resumePath is not null)
        {
            trainer = Trainer.Resume(resumePath, streams, options);
        }
        else
        {
            config.Validate();
            trainer = new Trainer(new SequenceModel(config), streams, options);
        }
        using var engine = accelerator is null ? null : new GpuTrainer(accelerator, trainer.Model, trainer.Options, streams.MaxT, streams.MaxB);
        if (engine is not null)
            trainer.UseEngine(engine);
        var model = trainer.Model;
        var job = DataParallel.Current;
        bool root = job is not { IsRoot: false };
        output.Status($"baton train: {config.Cell} {config.Layers}×{config.Hidden}, embedding {config.Embedding}, {model.Parameters.Count:N0} parameters, " +
                      $"{corpus.Vocabulary.Count} {config.Tokens} tokens in the vocabulary; {trainTokens.Length:N0} training and {validationTokens.Length:N0} validation tokens from {corpus.Source}" +
                      (resumePath is null ? "" : $"; resuming at step {trainer.Step}") +
                      (job is null ? "" : $"; data-parallel over {job.Size} MPI ranks") +
                      (accelerator is null ? "" : $"; on {accelerator.Name} ({ComputeDevices.Name(device)})"));

        var progress = new ProgressLine(output, timeLimit);
        var written = new List<string>();
        trainer.Progress = p =>
        {
            progress.Report(p);
            if (p.ValidationLoss is double val)
            {
                string path = Path.Combine(outDir, string.Create(CultureInfo.InvariantCulture, $"step{p.Step:D6}-val{val:F4}.safetensors"));
                trainer.SaveCheckpoint(path);
                written.Add(path);
            }
        };
        using var cancel = timeLimit is { } limit ? new CancellationTokenSource(limit) : new CancellationTokenSource();
        var clock = Stopwatch.StartNew();
        var result = trainer.Run(timeLimit is null ? CancellationToken.None : cancel.Token);
        double seconds = clock.Elapsed.TotalSeconds;
        progress.Finish();
        if (result.Reason == StopReason.Diverged)
        {
            output.Err.WriteLine($"baton: training diverged: {result.Message}");
            return ExitCodes.Failure;
        }
        if (result.Reason == StopReason.Cancelled)
            trainer.SaveCheckpoint(options.CheckpointPath);

        string best = Path.Combine(outDir, "best.safetensors");
        if (root && !File.Exists(best))
            ModelFile.Save(model, best);
        string last = options.CheckpointPath;
        string lossPng = Path.Combine(outDir, "loss.png");
        if (root)
            WriteHistory(trainer, outDir, lossPng);

        double? validation = evalEvery > 0 ? trainer.Evaluate() : null;
        long tokensSeen = (trainer.Step - (checkpoint?.State.Step ?? 0)) * (long)batch * seqLength;
        var summary = new JsonObject
        {
            ["steps"] = trainer.Step,
            ["stop_reason"] = result.Reason.ToString().ToLowerInvariant(),
            ["train_loss"] = Round(result.LastLoss),
            ["val_loss"] = validation is double v1 ? Round(v1) : null,
            ["val_bits_per_token"] = validation is double v2 ? Round(v2 / Math.Log(2)) : null,
            ["val_perplexity"] = validation is double v3 ? Round(Math.Exp(v3)) : null,
            ["best_val_loss"] = result.BestValidationLoss is double b ? Round(b) : null,
            ["best_step"] = result.BestValidationLoss is null ? null : result.BestStep,
            ["tokens_per_second"] = Math.Round(tokensSeen / Math.Max(seconds, 1e-9)),
            ["seconds"] = Math.Round(seconds, 2),
            ["parameters"] = model.Parameters.Count,
            ["ranks"] = job?.Size ?? 1,
            ["device"] = ComputeDevices.Name(device),
            ["allreduce_seconds"] = job is null ? null : Math.Round(job.ReduceSeconds, 4),
            ["out"] = outDir,
            ["best"] = best,
            ["last"] = last,
            ["loss_png"] = lossPng,
            ["checkpoints"] = new JsonArray(written.Select(w => (JsonNode)JsonValue.Create(w)!).ToArray()),
        };

        output.Line();
        output.Line($"  steps            {trainer.Step} ({result.Message})");
        output.Line($"  time             {seconds:F1} s, {summary["tokens_per_second"]} tokens/s");
        output.Line($"  train loss       {result.LastLoss:F4} nats/token");
        if (validation is double val)
            output.Line($"  validation       {val:F4} nats/token, {val / Math.Log(2):F3} bits/token, perplexity {Math.Exp(val):F2}");
        output.Line($"  files            {best}, {last}, {lossPng}");

        if (builtIn && root)
            summary["completion"] = ReportCompletion(model, fillers, output);
        output.Result(summary);
        return ExitCodes.Ok;
    }

    /// <summary>Greedy completions of held-out prompts at each distance, and the article's example.</summary>
    private static JsonObject ReportCompletion(SequenceModel model, int fillers, Output output)
    {
        var generator = new TextGenerator(model);
        int maxDistance = fillers + 2;
        var probes = MemoryCorpus.Probes(maxDistance, perDistance: 30, seed: 99);
        var byDistance = new JsonObject();
        output.Line();
        output.Line("  recall of the cause at each distance (filler clauses between cause and completion; greedy completion, held-out fillers):");
        output.Line("  distance  accuracy  (trained on 0.." + fillers + ")");
        for (int d = 0; d <= maxDistance; d++)
        {
            var atDistance = probes.Where(p => p.Distance == d).ToArray();
            int right = atDistance.Count(p => generator.Complete("\n" + p.Prompt, p.Expected.EnumerateRunes().Count()) == p.Expected);
            double accuracy = (double)right / atDistance.Length;
            byDistance[d.ToString(CultureInfo.InvariantCulture)] = Math.Round(accuracy, 4);
            output.Line($"  {d,8}  {accuracy,8:P1}{(d > fillers ? "  (longer than any training sentence)" : "")}");
        }
        string completion = generator.Complete("\n" + MemoryCorpus.ArticlePrompt, 3);
        output.Line();
        output.Line($"  {MemoryCorpus.ArticlePrompt}{completion}");
        return new JsonObject
        {
            ["prompt"] = MemoryCorpus.ArticlePrompt,
            ["article_completion"] = completion,
            ["accuracy_by_distance"] = byDistance,
        };
    }

    private static void WriteHistory(Trainer trainer, string outDir, string lossPng)
    {
        var history = trainer.History;
        var csv = new StringBuilder("step,train_loss,val_loss,learning_rate\n");
        foreach (var h in history)
            csv.Append(CultureInfo.InvariantCulture, $"{h.Step},{h.Loss:R},{(h.ValidationLoss is double v ? v.ToString("R", CultureInfo.InvariantCulture) : "")},{h.LearningRate:R}\n");
        AtomicFile.WriteAllText(Path.Combine(outDir, "history.csv"), csv.ToString());
        if (history.Count == 0)
            return;
        var series = new List<Plots.Series>
        {
            new("train", history.Select(h => (double)h.Step).ToArray(), history.Select(h => h.Loss).ToArray()),
        };
        var validated = history.Where(h => h.ValidationLoss is not null).DistinctBy(h => h.ValidationLoss).ToArray();
        if (validated.Length > 0)
            series.Add(new("validation", validated.Select(h => (double)h.Step).ToArray(), validated.Select(h => h.ValidationLoss!.Value).ToArray()));
        Plots.Lines(lossPng, "Training loss", "step", "cross-entropy (nats/token)", series);
    }

    private static Vocabulary VocabularyOf(ModelConfig config) =>
        new(config.Tokens == "bytes" ? TokenKind.Bytes : TokenKind.Chars, config.Vocab);

    private static double Round(double x) => double.IsFinite(x) ? Math.Round(x, 6) : x;
}
