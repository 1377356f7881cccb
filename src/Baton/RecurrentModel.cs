using Baton.IO;
using Baton.Models;
using Baton.Numerics;
using Baton.Training;

namespace Baton;

/// <summary>
/// A recurrent neural network for sequences: input (token ids through an embedding, or feature vectors) → stacked recurrent
/// layers (<see cref="RecurrentModelOptions"/>) → a linear head, which reads either the final state (one output per sequence)
/// or every step's output (one output per step), by <see cref="Task"/>. Create one with a factory (<see cref="Classifier(int, int, RecurrentModelOptions?)"/>,
/// <see cref="Regressor"/>, <see cref="Forecaster"/>, <see cref="StepClassifier(int, int, RecurrentModelOptions?)"/>,
/// <see cref="StepRegressor"/>, <see cref="LanguageModel(TokenVocabulary, RecurrentModelOptions?)"/>) or <see cref="Load"/>;
/// it is initialised at once (PyTorch's initialisation from <see cref="RecurrentModelOptions.Seed"/>) and can predict before any fit.
/// <para>
/// Outputs: the classification tasks give probabilities p = softmax(z), p_k = e^(z_k − m) / Σ_j e^(z_j − m) with m = max z,
/// z the head's logits; the regression tasks give values in the targets' units (ŷ = y'·σ + μ when the model standardises).
/// Every array a method returns is a new one that belongs to the caller.
/// </para>
/// <para>
/// Threads: <see cref="Predict(float[][])"/> and its overloads, <see cref="Evaluate"/>, <see cref="Generate"/>,
/// <see cref="Save"/> and <see cref="CreateStream"/> only read the model, so one model (a loaded one, or one no longer being
/// fitted) may serve any number of threads at once, each with its own streams. <see cref="Fit"/> changes the weights and must
/// not run beside any other call on the same model.
/// </para>
/// </summary>
public sealed class RecurrentModel
{
    private const int PredictBatch = 64;
    private SequenceModel model;   // replaced only by Fit (standardisation statistics, a resumed checkpoint's config)

    private RecurrentModel(SequenceModel model, RecurrentModelOptions options, TokenVocabulary? vocabulary)
    {
        this.model = model;
        Options = options;
        Vocabulary = vocabulary;
    }

    internal SequenceModel Inner => model;

    /// <summary>What the model predicts.</summary>
    public ModelTask Task => ApiNames.Task(model.Config.TaskKind);

    /// <summary>The network's shape (for a loaded model, as stored; its <see cref="RecurrentModelOptions.Seed"/> is not stored and reads 1).</summary>
    public RecurrentModelOptions Options { get; }

    /// <summary>The token vocabulary of a token-input model, or null for feature input (or a language model made from a size).</summary>
    public TokenVocabulary? Vocabulary { get; }

    /// <summary>Features per step, or 0 for token input.</summary>
    public int InputSize => model.Config.UsesEmbedding ? 0 : model.Config.InputSize;

    /// <summary>Number of token ids a token-input model reads (0 for feature input).</summary>
    public int VocabularySize => model.Config.UsesEmbedding ? model.Config.VocabularySize : 0;

    /// <summary>Width of one output: classes, vocabulary size, or values (horizon × targets for a forecaster).</summary>
    public int OutputSize => model.Config.OutputSize;

    /// <summary>True when the head runs at every step (<see cref="ModelTask.LanguageModel"/>, <see cref="ModelTask.StepClassification"/>,
    /// <see cref="ModelTask.StepRegression"/>): use <see cref="PredictSteps(float[][])"/>.</summary>
    public bool PredictsSteps => model.Config.OutputsPerStep;

    /// <summary>
    /// The name of each class of a classifier (class c is <c>ClassNames[c]</c>): taken from the first dataset with names that
    /// <see cref="Fit"/> reads (<see cref="SequenceDataset.FromCsv"/>, <see cref="SequenceDataset.FromAudio"/>) and saved in the
    /// model file. Empty when no names are known.
    /// </summary>
    public IReadOnlyList<string> ClassNames => model.Config.Classes;

    /// <summary>Number of trainable parameters.</summary>
    public long ParameterCount => model.Parameters.Count;

    // ---------------------------------------------------------------- creation

    /// <summary>A model that gives one label out of <paramref name="classes"/> per sequence of <paramref name="features"/>-wide steps.</summary>
    public static RecurrentModel Classifier(int features, int classes, RecurrentModelOptions? options = null) =>
        Create(TaskKind.Classify, features, nameof(features), null, Classes(classes, nameof(classes)), 1, 0, options);

    /// <summary>A model that gives one label out of <paramref name="classes"/> per sequence of token ids.</summary>
    public static RecurrentModel Classifier(TokenVocabulary vocabulary, int classes, RecurrentModelOptions? options = null) =>
        Create(TaskKind.Classify, 0, nameof(vocabulary), vocabulary, Classes(classes, nameof(classes)), 1, 0, options);

    /// <summary>A model that gives <paramref name="outputs"/> values per sequence of <paramref name="features"/>-wide steps.</summary>
    public static RecurrentModel Regressor(int features, int outputs, RecurrentModelOptions? options = null) =>
        Create(TaskKind.Forecast, features, nameof(features), null, Positive(outputs, nameof(outputs)), outputs, 1, options);

    /// <summary>
    /// A regression model that forecasts <paramref name="targets"/> values at each of the <paramref name="horizon"/> steps after
    /// a window of <paramref name="features"/>-wide steps: outputs step-major (target k of future step h at h·targets + k), the
    /// layout of <see cref="SequenceDataset.ForForecasting(IReadOnlyList{float[]}, int, int, int[])"/>.
    /// </summary>
    public static RecurrentModel Forecaster(int features, int horizon, int targets = 1, RecurrentModelOptions? options = null)
    {
        Positive(horizon, nameof(horizon));
        Positive(targets, nameof(targets));
        return Create(TaskKind.Forecast, features, nameof(features), null, horizon * targets, targets, horizon, options);
    }

    /// <summary>A model that gives a label out of <paramref name="classes"/> at every step of <paramref name="features"/>-wide steps.</summary>
    public static RecurrentModel StepClassifier(int features, int classes, RecurrentModelOptions? options = null) =>
        Create(TaskKind.ClassifySteps, features, nameof(features), null, Classes(classes, nameof(classes)), 1, 0, options);

    /// <summary>A model that gives a label out of <paramref name="classes"/> at every token (tagging).</summary>
    public static RecurrentModel StepClassifier(TokenVocabulary vocabulary, int classes, RecurrentModelOptions? options = null) =>
        Create(TaskKind.ClassifySteps, 0, nameof(vocabulary), vocabulary, Classes(classes, nameof(classes)), 1, 0, options);

    /// <summary>A model that gives <paramref name="outputs"/> values at every step of <paramref name="features"/>-wide steps.</summary>
    public static RecurrentModel StepRegressor(int features, int outputs, RecurrentModelOptions? options = null) =>
        Create(TaskKind.ForecastSteps, features, nameof(features), null, Positive(outputs, nameof(outputs)), outputs, 1, options);

    /// <summary>A language model over the tokens of <paramref name="vocabulary"/>: at every step, probabilities of the next token.</summary>
    public static RecurrentModel LanguageModel(TokenVocabulary vocabulary, RecurrentModelOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(vocabulary);
        return Create(TaskKind.Lm, 0, nameof(vocabulary), vocabulary, vocabulary.Count, 1, 0, options);
    }

    /// <summary>A language model over token ids 0 .. <paramref name="vocabularySize"/> − 1 (no token strings).</summary>
    public static RecurrentModel LanguageModel(int vocabularySize, RecurrentModelOptions? options = null) =>
        Create(TaskKind.Lm, 0, nameof(vocabularySize), null, Positive(vocabularySize, nameof(vocabularySize)), 1, 0, options, tokenInput: true);

    private static int Positive(int value, string name)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(value, 1, name);
        return value;
    }

    private static int Classes(int value, string name)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(value, 2, name);
        return value;
    }

    private static RecurrentModel Create(TaskKind task, int features, string inputName, TokenVocabulary? vocabulary, int outputs,
        int targets, int horizon, RecurrentModelOptions? options, bool tokenInput = false)
    {
        options ??= new RecurrentModelOptions();
        tokenInput |= vocabulary is not null;
        if (!tokenInput)
            Positive(features, inputName);
        else if (vocabulary is null && task != TaskKind.Lm)
            throw new ArgumentNullException(inputName);
        bool regression = task is TaskKind.Forecast or TaskKind.ForecastSteps;
        var config = new ModelConfig
        {
            Task = ModelConfig.TaskName(task),
            Cell = ApiNames.CellName(options.Cell),
            Layers = options.Layers,
            Hidden = options.HiddenSize,
            Bidirectional = options.Bidirectional,
            Dropout = options.Dropout,
            Embedding = tokenInput ? options.EmbeddingSize : 0,
            InputSize = tokenInput ? 0 : features,
            OutputSize = outputs,
            Tokens = vocabulary is { IsCharacters: true } ? "chars" : "",
            Vocab = vocabulary?.Tokens ?? [],
            Targets = regression ? [.. Enumerable.Range(0, targets).Select(k => $"y{k}")] : [],
            Horizon = task == TaskKind.Forecast ? horizon : 0,
        };
        try
        {
            config.Validate();
        }
        catch (ModelConfigException e)
        {
            throw new ArgumentException(e.Message, nameof(options));
        }
        return new RecurrentModel(new SequenceModel(config, new Rng(options.Seed)), options, vocabulary);
    }

    // ---------------------------------------------------------------- files

    /// <summary>
    /// Writes the model to <paramref name="path"/> atomically: one safetensors file with every weight under its PyTorch name and
    /// the configuration (task, cell, sizes, vocabulary, standardisation statistics) as JSON in its metadata.
    /// </summary>
    public void Save(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ModelFile.Save(model, path);
    }

    /// <summary>
    /// Reads a model file written by <see cref="Save"/>, by the <c>baton</c> tool or by any earlier version of Baton (training
    /// checkpoints load too). A missing or malformed file throws an <see cref="IOException"/> that names the file and the
    /// tensor or field at fault.
    /// </summary>
    public static RecurrentModel Load(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var loaded = ModelFile.Load(path);
        var config = loaded.Config;
        var options = new RecurrentModelOptions
        {
            Cell = ApiNames.Cell(config.Cell),
            HiddenSize = config.Hidden,
            Layers = config.Layers,
            Bidirectional = config.Bidirectional,
            Dropout = config.Dropout,
            EmbeddingSize = config.UsesEmbedding ? config.Embedding : new RecurrentModelOptions().EmbeddingSize,
            Standardize = config.FeatureMean.Length > 0 || config.TargetMean.Length > 0,
        };
        TokenVocabulary? vocabulary = config.Vocab.Length == 0 ? null
            : config.Tokens == "chars" ? new TokenVocabulary(new Data.Vocabulary(Data.TokenKind.Chars, config.Vocab))
            : new TokenVocabulary(config.Vocab);
        return new RecurrentModel(loaded, options, vocabulary);
    }

    // ---------------------------------------------------------------- fit and evaluate

    /// <summary>
    /// Trains the model on <paramref name="train"/> (continuing from its current weights) with backpropagation through time:
    /// each step draws the next batch, runs forward, computes the loss (cross-entropy for the classification tasks, the
    /// <see cref="FitOptions.Loss"/> for regression; per-step tasks count every step inside each sequence's length), runs
    /// backward, clips the gradient (<see cref="FitOptions.ClipNorm"/>) and applies one optimizer update. See
    /// <see cref="FitOptions"/> for validation, early stopping, checkpoints and resume. Returns when the epochs are done, on
    /// early stopping, on cancellation (<see cref="FitStopReason.Cancelled"/>, not an exception) or on divergence. With
    /// <see cref="FitOptions.Device"/> the steps run on that device (see <see cref="TrainingDevice"/>).
    /// </summary>
    public FitResult Fit(SequenceDataset train, FitOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(train);
        options ??= new FitOptions();
        CheckData(train, nameof(train));
        if (options.Validation is not null)
            CheckData(options.Validation, nameof(options));
        if (options.Patience > 0 && options.Validation is null)
            throw new ArgumentException("FitOptions.Patience needs FitOptions.Validation.", nameof(options));
        if (options.Resume && options.CheckpointPath is null)
            throw new ArgumentException("FitOptions.Resume needs FitOptions.CheckpointPath.", nameof(options));
        if (options.ClassWeights is { } classWeights && (Task != ModelTask.Classification || classWeights.Count != model.Config.OutputSize
                || classWeights.Any(w => !(float.IsFinite(w) && w > 0))))
            throw new ArgumentException(
                $"FitOptions.ClassWeights needs a classifier and {model.Config.OutputSize} positive finite weights, one per class.", nameof(options));
        bool resuming = options.Resume && File.Exists(options.CheckpointPath);
        if (resuming)
            AdoptCheckpointConfig(options.CheckpointPath!);
        else if (NeedsStatistics)
            LearnStatistics(train);
        if (!resuming && model.Config.Classes.Length == 0 && train.ClassNames.Count == model.Config.OutputSize
            && model.Config.TaskKind is TaskKind.Classify or TaskKind.ClassifySteps)
            Replace(model.Config with { Classes = [.. train.ClassNames] });

        var validation = options.Validation;
        var examples = Examples(train, validation, options.BatchSize, options.Seed);
        int perEpoch = examples.BatchesPerEpoch;
        long totalSteps = options.Steps ?? (long)options.Epochs * perEpoch;
        int epochs = (int)((totalSteps + perEpoch - 1) / perEpoch);
        var trainerOptions = new TrainerOptions
        {
            Seed = options.Seed,
            MaxSteps = totalSteps,
            Optimizer = new OptimizerOptions
            {
                Kind = ApiNames.OptimizerName(options.Optimizer),
                LearningRate = options.LearningRate,
                WeightDecay = options.WeightDecay,
            },
            ClipNorm = options.ClipNorm,
            RegressionLoss = ApiNames.LossName(options.Loss),
            HuberDelta = options.HuberDelta,
            EvalEvery = validation is null ? 0 : (int)Math.Min(perEpoch, totalSteps),
            Patience = options.Patience,
            HistoryEvery = perEpoch,
            CheckpointEvery = options.CheckpointPath is null ? 0 : perEpoch,
            CheckpointPath = options.CheckpointPath,
            RestoreBestWeights = options.RestoreBestWeights && validation is not null,
            InitializeParameters = false,
            ClassWeights = options.ClassWeights is { } weights ? [.. weights] : null,
        };
        if (options.Device?.Unsupported(model.Config, trainerOptions) is { } unsupported)
            throw new NotSupportedException($"FitOptions.Device does not train {unsupported} yet; leave it null for the CPU engine.");
        var trainer = resuming
            ? Trainer.Resume(options.CheckpointPath!, model, examples, trainerOptions)
            : new Trainer(model, examples, trainerOptions);
        using var engine = options.Device?.CreateEngine(model, trainerOptions, examples.MaxT, examples.MaxB);
        if (engine is not null)
            trainer.UseEngine(engine);

        double epochLossSum = 0;
        int epochLossCount = 0;
        var history = new List<FitProgress>();
        trainer.Progress = p =>
        {
            int epoch = (int)((p.Step - 1) / perEpoch) + 1;
            if ((p.Step - 1) % perEpoch == 0)
                (epochLossSum, epochLossCount) = (0, 0);
            epochLossSum += p.Loss;
            epochLossCount++;
            var progress = new FitProgress(epoch, epochs, p.Step, totalSteps, p.Loss, p.ValidationLoss, p.Elapsed);
            if (p.Step % perEpoch == 0 || p.Step == totalSteps)
                history.Add(progress with { Loss = epochLossSum / epochLossCount });
            options.Progress?.Report(progress);
        };
        var result = trainer.Run(cancellationToken);
        var reason = result.Reason switch
        {
            StopReason.Completed => FitStopReason.Completed,
            StopReason.EarlyStopped => FitStopReason.EarlyStopped,
            StopReason.Cancelled => FitStopReason.Cancelled,
            _ => FitStopReason.Diverged,
        };
        int bestEpoch = result.BestValidationLoss is null ? 0 : (int)((result.BestStep - 1) / perEpoch) + 1;
        var metrics = validation is null || reason == FitStopReason.Diverged ? null : Evaluate(validation, options.BatchSize);
        return new FitResult(reason, result.Step, (double)result.Step / perEpoch,
            epochLossCount == 0 ? double.NaN : epochLossSum / epochLossCount, result.BestValidationLoss, bestEpoch, metrics, result.Message,
            history);
    }

    /// <summary>
    /// The <see cref="Evaluation"/> of the model on <paramref name="data"/>: the loss as <see cref="Fit"/> computes it on
    /// validation data (in batches of <paramref name="batchSize"/>, averaged over all N), and accuracy or MAE and RMSE.
    /// </summary>
    public Evaluation Evaluate(SequenceDataset data, int batchSize = 32)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1, nameof(batchSize));
        CheckData(data, nameof(data));
        var current = model;
        var examples = Examples(data, data, batchSize, 0, current);
        var lossTrainer = new Trainer(current, examples, new TrainerOptions
        {
            MaxSteps = 1,
            Optimizer = new OptimizerOptions { Kind = "sgd" },
            InitializeParameters = false,
            HistoryEvery = 1,
        });
        double loss = lossTrainer.Evaluate();

        var config = current.Config;
        var outputs = Outputs(current, data.Examples, scale: true);
        int O = config.OutputSize;
        long count = 0;
        if (!config.IsRegression)
        {
            long correct = 0;
            for (int i = 0; i < outputs.Length; i++)
            {
                var e = data.Examples[i];
                if (config.OutputsPerStep)
                {
                    for (int t = 0; t < e.StepLabels!.Length; t++, count++)
                        correct += TokenSampler.ArgMax(outputs[i].AsSpan(t * O, O)) == e.StepLabels[t] ? 1 : 0;
                }
                else
                {
                    correct += TokenSampler.ArgMax(outputs[i]) == e.Label ? 1 : 0;
                    count++;
                }
            }
            return new Evaluation(loss, (double)correct / count, null, null, count);
        }
        double absolute = 0, squared = 0;
        long values = 0;
        for (int i = 0; i < outputs.Length; i++)
        {
            var e = data.Examples[i];
            var target = config.OutputsPerStep ? e.StepTargets! : e.Target!;
            var prediction = new float[target.Length];
            Finish(config, outputs[i], prediction);
            for (int k = 0; k < target.Length; k++)
            {
                double d = (double)prediction[k] - target[k];
                absolute += Math.Abs(d);
                squared += d * d;
            }
            values += target.Length;
            count += config.OutputsPerStep ? target.Length / O : 1;
        }
        return new Evaluation(loss, null, absolute / values, Math.Sqrt(squared / values), count);
    }

    // ---------------------------------------------------------------- predict

    /// <summary>The output for one sequence of feature rows [steps][features] (per-sequence tasks; a new array).</summary>
    public float[] Predict(float[][] sequence) => PredictOne(SequenceDataset.Features([sequence], nameof(sequence)), nameof(sequence));

    /// <summary>The output for one sequence [steps, features] (per-sequence tasks; a new array).</summary>
    public float[] Predict(float[,] sequence) => PredictOne(SequenceDataset.Features([sequence], nameof(sequence)), nameof(sequence));

    /// <summary>The output for one sequence of token ids (per-sequence tasks; a new array).</summary>
    public float[] Predict(int[] tokens) => PredictOne(SequenceDataset.Tokens([tokens], nameof(tokens)), nameof(tokens));

    /// <summary>The outputs for many sequences, in order, run in batches of up to 64 (per-sequence tasks; new arrays).</summary>
    public float[][] Predict(IReadOnlyList<float[][]> sequences) => PredictMany(SequenceDataset.Features(sequences, nameof(sequences)), nameof(sequences));

    /// <summary>The outputs for many token sequences, in order (per-sequence tasks; new arrays).</summary>
    public float[][] Predict(IReadOnlyList<int[]> sequences) => PredictMany(SequenceDataset.Tokens(sequences, nameof(sequences)), nameof(sequences));

    /// <summary>The outputs for the sequences of <paramref name="data"/>, in order (its labels or targets are not read).</summary>
    public float[][] Predict(SequenceDataset data)
    {
        ArgumentNullException.ThrowIfNull(data);
        return PredictMany(new SequenceDataset.Inputs(data.Examples, [], data.InputSize), nameof(data));
    }

    /// <summary>The most probable class, argmax p, of one sequence of feature rows (<see cref="ModelTask.Classification"/>; the lowest class on ties).</summary>
    public int PredictClass(float[][] sequence) => ArgMax(Predict(sequence));

    /// <summary>The most probable class of one sequence [steps, features] (<see cref="ModelTask.Classification"/>).</summary>
    public int PredictClass(float[,] sequence) => ArgMax(Predict(sequence));

    /// <summary>The most probable class of one token sequence (<see cref="ModelTask.Classification"/>).</summary>
    public int PredictClass(int[] tokens) => ArgMax(Predict(tokens));

    /// <summary>The output at every step [steps][OutputSize] of one sequence of feature rows (per-step tasks; new arrays).</summary>
    public float[][] PredictSteps(float[][] sequence) => PredictStepsOne(SequenceDataset.Features([sequence], nameof(sequence)), nameof(sequence));

    /// <summary>The output at every step of one sequence [steps, features] (per-step tasks).</summary>
    public float[][] PredictSteps(float[,] sequence) => PredictStepsOne(SequenceDataset.Features([sequence], nameof(sequence)), nameof(sequence));

    /// <summary>The output at every step of one token sequence (per-step tasks; for a language model, next-token probabilities).</summary>
    public float[][] PredictSteps(int[] tokens) => PredictStepsOne(SequenceDataset.Tokens([tokens], nameof(tokens)), nameof(tokens));

    /// <summary>
    /// Continues <paramref name="prompt"/> by <paramref name="length"/> characters sampled one at a time from a character
    /// language model (<see cref="LanguageModel(TokenVocabulary, RecurrentModelOptions?)"/>): p_i ∝ exp(z_i / τ) with τ =
    /// <paramref name="temperature"/> (0 = always the most probable), drawn from a generator seeded with <paramref name="seed"/>.
    /// Returns only the new characters.
    /// </summary>
    public string Generate(string prompt, int length, float temperature = 1f, ulong seed = 1)
    {
        ArgumentNullException.ThrowIfNull(prompt);
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        if (!(temperature >= 0))
            throw new ArgumentOutOfRangeException(nameof(temperature), $"must be at least 0, got {temperature}.");
        if (Task != ModelTask.LanguageModel || Vocabulary is not { IsCharacters: true })
            throw new InvalidOperationException("Generate needs a language model with a character vocabulary.");
        var current = model;
        var stream = current.CreateStream(1);
        var sampler = new TokenSampler(current.Config.VocabularySize);
        var rng = new Rng(seed);
        var ids = new int[1];
        ReadOnlySpan<float> logits = default;
        foreach (int id in Vocabulary.Encode(prompt))
        {
            ids[0] = id;
            logits = current.Step(stream, ids);
        }
        if (logits.IsEmpty)
            throw new ArgumentException("must hold at least one character.", nameof(prompt));
        var generated = new int[length];
        for (int i = 0; i < length; i++)
        {
            ids[0] = generated[i] = sampler.Next(logits, temperature, 0, 1f, rng);
            logits = current.Step(stream, ids);
        }
        return Vocabulary.Decode(generated);
    }

    /// <summary>
    /// A stream for step-by-step inference (unidirectional models): its own zero state, advanced one input at a time. See
    /// <see cref="ModelStream"/>.
    /// </summary>
    public ModelStream CreateStream()
    {
        if (model.Config.Bidirectional)
            throw new InvalidOperationException("A bidirectional model reads each sequence backwards too: it cannot run step by step.");
        return new ModelStream(this, model);
    }

    // ---------------------------------------------------------------- the advanced time-major layer

    /// <summary>Buffers for <see cref="Forward(ModelWorkspace, ReadOnlySpan{float}, int, int, ReadOnlySpan{int})"/> passes of up to
    /// <paramref name="maxSteps"/> steps and <paramref name="maxBatch"/> sequences.</summary>
    public ModelWorkspace CreateWorkspace(int maxSteps, int maxBatch)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxSteps, 1, nameof(maxSteps));
        ArgumentOutOfRangeException.ThrowIfLessThan(maxBatch, 1, nameof(maxBatch));
        return new ModelWorkspace(model, model.CreateWorkspace(maxSteps, maxBatch));
    }

    /// <summary>
    /// One inference pass over <paramref name="features"/> [T, B, I] (time-major, row-major: step t of sequence b at
    /// (t·B + b)·I), sequence b running <paramref name="lengths"/>[b] steps (empty: all T). Returns the head's raw output —
    /// logits, or standardised regression values — [T, B, OutputSize] for the per-step tasks, [B, OutputSize] otherwise. The
    /// span is a view of <paramref name="workspace"/>, valid until its next pass. No allocation; inputs are not standardised.
    /// </summary>
    public ReadOnlySpan<float> Forward(ModelWorkspace workspace, ReadOnlySpan<float> features, int steps, int batch, ReadOnlySpan<int> lengths = default)
    {
        CheckWorkspace(workspace);
        return model.ForwardFeatures(workspace.Inner, features, steps, batch, lengths);
    }

    /// <summary>The pass of <see cref="Forward(ModelWorkspace, ReadOnlySpan{float}, int, int, ReadOnlySpan{int})"/> over token ids [T, B].</summary>
    public ReadOnlySpan<float> Forward(ModelWorkspace workspace, ReadOnlySpan<int> tokens, int steps, int batch, ReadOnlySpan<int> lengths = default)
    {
        CheckWorkspace(workspace);
        return model.ForwardTokens(workspace.Inner, tokens, steps, batch, lengths);
    }

    private void CheckWorkspace(ModelWorkspace workspace)
    {
        ArgumentNullException.ThrowIfNull(workspace);
        if (workspace.Model != model)
            throw new ArgumentException("The workspace belongs to another model (or to this one before a fit changed its statistics).", nameof(workspace));
    }

    // ---------------------------------------------------------------- internals

    private bool NeedsStatistics => Options.Standardize && model.Config.FeatureMean.Length == 0
        && (model.Config.IsRegression || model.Config.TaskKind == TaskKind.Classify && !model.Config.UsesEmbedding);

    private void CheckData(SequenceDataset data, string parameter)
    {
        var config = model.Config;
        if (data.HasTokens != config.UsesEmbedding)
            throw new ArgumentException(config.UsesEmbedding
                ? "holds feature sequences but the model reads token ids."
                : "holds token sequences but the model reads features.", parameter);
        if (!data.HasTokens && data.InputSize != config.InputSize)
            throw new ArgumentException($"has {data.InputSize} features per step, the model reads {config.InputSize}.", parameter);
        var task = Task == ModelTask.LanguageModel ? ModelTask.StepClassification : Task;
        if (data.Task != task)
            throw new ArgumentException($"holds data for {data.Task}, the model's task is {Task}.", parameter);
        bool labels = data.Task is ModelTask.Classification or ModelTask.StepClassification;
        if (labels && data.OutputSize > config.OutputSize)
            throw new ArgumentException($"holds label {data.OutputSize - 1}, the model has {config.OutputSize} classes (0 .. {config.OutputSize - 1}).", parameter);
        if (!labels && data.OutputSize != config.OutputSize)
            throw new ArgumentException($"has {data.OutputSize} target values, the model predicts {config.OutputSize}.", parameter);
        if (config.UsesEmbedding)
        {
            int V = config.VocabularySize;
            foreach (var e in data.Examples)
            {
                foreach (int token in e.Tokens!)
                {
                    if (token >= V)
                        throw new ArgumentException($"holds token id {token}, outside the model's vocabulary [0, {V}).", parameter);
                }
            }
        }
    }

    private SequenceExamples Examples(SequenceDataset train, SequenceDataset? validation, int batchSize, ulong seed, SequenceModel? on = null)
    {
        var config = (on ?? model).Config;
        return new SequenceExamples(Scaled(config, train.Examples), validation is null ? null : Scaled(config, validation.Examples),
            config.UsesEmbedding ? 0 : config.InputSize, config.IsRegression ? config.OutputSize : 0, batchSize, seed);
    }

    /// <summary>The examples in the model's units: features and targets standardised when the model has statistics.</summary>
    private static SequenceExample[] Scaled(ModelConfig config, SequenceExample[] examples)
    {
        if (config.FeatureMean.Length == 0)
            return examples;
        var scaled = new SequenceExample[examples.Length];
        for (int i = 0; i < examples.Length; i++)
        {
            var e = examples[i];
            scaled[i] = e with
            {
                Features = Standardise(e.Features!, config.FeatureMean, config.FeatureStd),
                Target = e.Target is null ? null : Standardise(e.Target, config.TargetMean, config.TargetStd),
                StepTargets = e.StepTargets is null ? null : Standardise(e.StepTargets, config.TargetMean, config.TargetStd),
            };
        }
        return scaled;
    }

    /// <summary>x'_i = (float)((x_i − μ_(i mod n)) / σ_(i mod n)) in double, n = μ.Length (rows of n, or step-major h·n + k).</summary>
    private static float[] Standardise(float[] values, float[] mean, float[] std)
    {
        var result = new float[values.Length];
        for (int i = 0; i < values.Length; i++)
            result[i] = ForecastScaling.Scale(values[i], mean[i % mean.Length], std[i % std.Length]);
        return result;
    }

    internal void ScaleInput(ModelConfig config, ReadOnlySpan<float> features, Span<float> destination)
    {
        var mean = config.FeatureMean;
        if (mean.Length == 0)
        {
            features.CopyTo(destination);
            return;
        }
        for (int i = 0; i < features.Length; i++)
            destination[i] = ForecastScaling.Scale(features[i], mean[i], config.FeatureStd[i]);
    }

    /// <summary>Raw head output [OutputSize] → probabilities (classification) or values in the targets' units (regression).</summary>
    internal static void Finish(ModelConfig config, ReadOnlySpan<float> raw, Span<float> output)
    {
        int O = config.OutputSize;
        for (int row = 0; row < raw.Length / O; row++)
        {
            var z = raw.Slice(row * O, O);
            var p = output.Slice(row * O, O);
            if (!config.IsRegression)
            {
                float max = float.NegativeInfinity;
                foreach (float v in z)
                    max = Math.Max(max, v);
                double sum = 0;
                for (int k = 0; k < O; k++)
                    sum += Math.Exp(z[k] - max);
                for (int k = 0; k < O; k++)
                    p[k] = (float)(Math.Exp(z[k] - max) / sum);
            }
            else if (config.TargetMean.Length > 0)
            {
                int n = config.TargetMean.Length;
                for (int k = 0; k < O; k++)
                    p[k] = (float)ForecastScaling.Unscale(z[k], config.TargetMean[k % n], config.TargetStd[k % n]);
            }
            else
            {
                z.CopyTo(p);
            }
        }
    }

    /// <summary>
    /// Raw head outputs of each example ([OutputSize], or [steps·OutputSize] for the per-step tasks), from the zero state, in
    /// batches of up to <see cref="PredictBatch"/>; <paramref name="scale"/>: standardise the features first.
    /// </summary>
    private static float[][] Outputs(SequenceModel current, IReadOnlyList<SequenceExample> examples, bool scale)
    {
        var config = current.Config;
        bool tokens = config.UsesEmbedding;
        int I = tokens ? 0 : config.InputSize, O = config.OutputSize, n = examples.Count;
        var lengthOf = (SequenceExample e) => tokens ? e.Tokens!.Length : e.Features!.Length / I;
        int maxT = examples.Max(lengthOf);
        int maxB = Math.Min(PredictBatch, n);
        var ws = current.CreateWorkspace(maxT, maxB);
        var x = new float[tokens ? 0 : maxT * maxB * I];
        var ids = new int[tokens ? maxT * maxB : 0];
        var lengths = new int[maxB];
        var result = new float[n][];
        for (int first = 0; first < n; first += maxB)
        {
            int B = Math.Min(maxB, n - first), T = 0;
            for (int b = 0; b < B; b++)
                T = Math.Max(T, lengths[b] = lengthOf(examples[first + b]));
            Array.Clear(x);
            Array.Clear(ids);
            for (int b = 0; b < B; b++)
            {
                var e = examples[first + b];
                for (int t = 0; t < lengths[b]; t++)
                {
                    if (tokens)
                        ids[t * B + b] = e.Tokens![t];
                    else if (scale && config.FeatureMean.Length > 0)
                        StandardiseRow(config, e.Features.AsSpan(t * I, I), x.AsSpan((t * B + b) * I, I));
                    else
                        e.Features.AsSpan(t * I, I).CopyTo(x.AsSpan((t * B + b) * I, I));
                }
            }
            var output = tokens
                ? current.ForwardTokens(ws, ids.AsSpan(0, T * B), T, B, lengths.AsSpan(0, B))
                : current.ForwardFeatures(ws, x.AsSpan(0, T * B * I), T, B, lengths.AsSpan(0, B));
            for (int b = 0; b < B; b++)
            {
                if (!config.OutputsPerStep)
                {
                    result[first + b] = output.Slice(b * O, O).ToArray();
                    continue;
                }
                var steps = result[first + b] = new float[lengths[b] * O];
                for (int t = 0; t < lengths[b]; t++)
                    output.Slice((t * B + b) * O, O).CopyTo(steps.AsSpan(t * O, O));
            }
        }
        return result;
    }

    private static void StandardiseRow(ModelConfig config, ReadOnlySpan<float> row, Span<float> destination)
    {
        for (int i = 0; i < row.Length; i++)
            destination[i] = ForecastScaling.Scale(row[i], config.FeatureMean[i], config.FeatureStd[i]);
    }

    private float[] PredictOne(SequenceDataset.Inputs inputs, string parameter) => PredictMany(inputs, parameter)[0];

    private float[][] PredictMany(SequenceDataset.Inputs inputs, string parameter)
    {
        var current = model;
        if (current.Config.OutputsPerStep)
            throw new InvalidOperationException($"A {Task} model outputs at every step: call PredictSteps.");
        CheckInputs(current, inputs, parameter);
        var raw = Outputs(current, inputs.Examples, scale: true);
        foreach (var row in raw)
            Finish(current.Config, row, row);
        return raw;
    }

    private float[][] PredictStepsOne(SequenceDataset.Inputs inputs, string parameter)
    {
        var current = model;
        if (!current.Config.OutputsPerStep)
            throw new InvalidOperationException($"A {Task} model outputs once per sequence: call Predict.");
        CheckInputs(current, inputs, parameter);
        var raw = Outputs(current, inputs.Examples, scale: true)[0];
        int O = current.Config.OutputSize;
        var steps = new float[raw.Length / O][];
        for (int t = 0; t < steps.Length; t++)
        {
            steps[t] = new float[O];
            Finish(current.Config, raw.AsSpan(t * O, O), steps[t]);
        }
        return steps;
    }

    private static void CheckInputs(SequenceModel current, SequenceDataset.Inputs inputs, string parameter)
    {
        var config = current.Config;
        bool tokens = inputs.Width == 0;
        if (tokens != config.UsesEmbedding)
            throw new ArgumentException(config.UsesEmbedding ? "holds features but the model reads token ids." : "holds token ids but the model reads features.", parameter);
        if (!tokens && inputs.Width != config.InputSize)
            throw new ArgumentException($"has {inputs.Width} features per step, the model reads {config.InputSize}.", parameter);
        if (tokens)
        {
            int V = config.VocabularySize;
            foreach (var e in inputs.Examples)
            {
                foreach (int token in e.Tokens!)
                {
                    if (token >= V)
                        throw new ArgumentOutOfRangeException(parameter, $"token id {token} is outside the model's vocabulary [0, {V}).");
                }
            }
        }
    }

    private static int ArgMax(float[] p) => TokenSampler.ArgMax(p);

    private void LearnStatistics(SequenceDataset train)
    {
        var config = model.Config;
        int I = config.InputSize;
        // Files written before targets were named leave Targets empty: one target per output (per step for a horizon).
        int targets = config.Targets.Length > 0 ? config.Targets.Length
            : config.Horizon > 0 && config.TaskKind == TaskKind.Forecast ? config.OutputSize / config.Horizon : config.OutputSize;
        if (config.IsRegression && config.Targets.Length == 0)
            config = config with { Targets = [.. Enumerable.Range(0, targets).Select(k => $"y{k}")] };
        var features = new (double Sum, double Squares, long Count)[I];
        var outputs = new (double Sum, double Squares, long Count)[config.IsRegression ? targets : 0];
        foreach (var e in train.Examples)
        {
            Accumulate(features, e.Features!);
            if (config.IsRegression)
                Accumulate(outputs, e.Target ?? e.StepTargets!);
        }
        var (featureMean, featureStd) = Moments(features);
        var (targetMean, targetStd) = config.IsRegression ? Moments(outputs) : ([], []);
        Replace(config with { FeatureMean = featureMean, FeatureStd = featureStd, TargetMean = targetMean, TargetStd = targetStd });
    }

    private static void Accumulate((double Sum, double Squares, long Count)[] moments, float[] values)
    {
        int n = moments.Length;
        for (int i = 0; i < values.Length; i++)
        {
            ref var m = ref moments[i % n];
            m.Sum += values[i];
            m.Squares += (double)values[i] * values[i];
            m.Count++;
        }
    }

    /// <summary>μ = Σx / N and σ = √(Σx² / N − μ²) (1 where σ is 0 or not finite), as float.</summary>
    private static (float[] Mean, float[] Std) Moments((double Sum, double Squares, long Count)[] moments)
    {
        var mean = new float[moments.Length];
        var std = new float[moments.Length];
        for (int i = 0; i < moments.Length; i++)
        {
            double mu = moments[i].Sum / moments[i].Count;
            double sigma = Math.Sqrt(Math.Max(moments[i].Squares / moments[i].Count - mu * mu, 0));
            mean[i] = (float)mu;
            std[i] = sigma > 1e-12 && double.IsFinite(sigma) ? (float)sigma : 1f;
        }
        return (mean, std);
    }

    /// <summary>A checkpoint about to be resumed may carry statistics and class names this model has not learnt yet: take its config.</summary>
    private void AdoptCheckpointConfig(string path)
    {
        var stored = ModelFile.ReadConfig(SafeTensorsFile.Read(path));
        var bare = stored with { FeatureMean = [], FeatureStd = [], TargetMean = [], TargetStd = [], Classes = [] };
        var mine = model.Config with { FeatureMean = [], FeatureStd = [], TargetMean = [], TargetStd = [], Classes = [] };
        if (bare.ToJson() != mine.ToJson())
            throw new ArgumentException($"The checkpoint {path} holds another model ({stored.Task}, {stored.Cell}, hidden {stored.Hidden}).", "options");
        if (stored.ToJson() != model.Config.ToJson())
            Replace(stored);
    }

    /// <summary>Swaps in a model of <paramref name="config"/> with the current weights (same tensors: only statistics differ).</summary>
    private void Replace(ModelConfig config)
    {
        var next = new SequenceModel(config, new Rng(Options.Seed));
        model.Parameters.Data.AsSpan().CopyTo(next.Parameters.Data);
        next.Parameters.MarkChanged();
        model = next;
    }
}
