using Baton.Data;
using Baton.Models;

namespace Baton.Training;

/// <summary>
/// Trains a classify <see cref="SequenceModel"/> on standardised variable-length sequences: batches of whole sequences with
/// their own lengths (the layers stop each one at its last step; nothing is padded into the state), cross-entropy weighted
/// per class when asked, Adam with a cosine schedule, gradient clipping at norm 1, validation after every epoch, and the
/// weights of the best validation loss kept. The test sequences are never read.
/// </summary>
internal static class ClassifyTrainer
{
    /// <summary>One epoch of the run: mean training loss, and the validation loss and accuracy (null without validation data).</summary>
    public sealed record Epoch(int Number, double TrainLoss, double? ValidationLoss, double? ValidationAccuracy);

    /// <summary>Outcome of <see cref="Train"/>: the model (best weights), its epochs, the epoch kept and the trainer's result.</summary>
    public sealed record Result(SequenceModel Model, IReadOnlyList<Epoch> History, int BestEpoch, TrainingResult Training, float[]? ClassWeights);

    /// <summary>
    /// Trains a model of <paramref name="config"/> (task classify, its scaling already set) on <paramref name="train"/> and validates
    /// on <paramref name="validation"/> (standardised examples; may be empty, then the last weights are kept). With
    /// <paramref name="engineFactory"/> the steps compute on the engine it makes (a GPU); validation runs on the CPU engine.
    /// </summary>
    public static Result Train(ModelConfig config, IReadOnlyList<SequenceExample> train, IReadOnlyList<SequenceExample> validation,
        ClassifyOptions options, Action<Epoch>? progress = null, CancellationToken cancellationToken = default,
        TrainingEngineFactory? engineFactory = null)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(train);
        ArgumentNullException.ThrowIfNull(validation);
        ArgumentNullException.ThrowIfNull(options);
        if (config.TaskKind != TaskKind.Classify)
            throw new ArgumentException($"The config's task is '{config.Task}', not classify.", nameof(config));
        int C = config.OutputSize;
        var examples = new SequenceExamples(train, validation, config.InputSize, 0, options.BatchSize, options.Seed);
        int perEpoch = examples.BatchesPerEpoch;
        float[]? weights = options.BalanceClasses ? BalancedWeights(train, C) : null;
        var model = new SequenceModel(config);
        var trainerOptions = TrainerOptions(options, perEpoch, validation.Count > 0, weights);
        var trainer = new Trainer(model, examples, trainerOptions);
        using var engine = engineFactory?.Invoke(model, trainerOptions, examples.MaxT, examples.MaxB);
        if (engine is not null)
            trainer.UseEngine(engine);
        var predictor = new ClassifyPredictor(model);
        float[] best = (float[])model.Parameters.Data.Clone();
        double bestLoss = double.PositiveInfinity;
        int bestEpoch = 0;
        var history = new List<Epoch>();
        double lossSum = 0;
        int lossCount = 0;
        trainer.Progress = p =>
        {
            lossSum += p.Loss;
            lossCount++;
            if (p.Step % perEpoch != 0)
                return;
            int number = (int)(p.Step / perEpoch);
            double? accuracy = null;
            if (p.ValidationLoss is double loss)
            {
                accuracy = Accuracy(predictor, validation);
                if (loss < bestLoss)
                {
                    bestLoss = loss;
                    bestEpoch = number;
                    model.Parameters.Data.AsSpan().CopyTo(best);
                }
            }
            var epoch = new Epoch(number, lossSum / lossCount, p.ValidationLoss, accuracy);
            history.Add(epoch);
            lossSum = 0;
            lossCount = 0;
            progress?.Invoke(epoch);
        };
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        if (options.Minutes > 0)
            limit.CancelAfter(TimeSpan.FromMinutes(options.Minutes));
        var result = trainer.Run(limit.Token);
        if (double.IsFinite(bestLoss))
        {
            best.AsSpan().CopyTo(model.Parameters.Data);
            model.Parameters.MarkChanged();
        }
        else
        {
            bestEpoch = history.Count;
        }
        return new Result(model, history, bestEpoch, result, weights);
    }

    /// <summary>
    /// The trainer's settings of a classify run of <paramref name="perEpoch"/> batches per epoch: Adam at
    /// <see cref="ClassifyOptions.LearningRate"/> with a cosine schedule down to a twentieth of it, clipping at norm 1, the
    /// cross-entropy weighted by <paramref name="classWeights"/> (null: unweighted), validation after every epoch when
    /// <paramref name="validate"/>.
    /// </summary>
    public static TrainerOptions TrainerOptions(ClassifyOptions options, int perEpoch, bool validate, float[]? classWeights)
    {
        ArgumentNullException.ThrowIfNull(options);
        return new TrainerOptions
        {
            Seed = options.Seed,
            MaxSteps = (long)options.Epochs * perEpoch,
            Optimizer = new OptimizerOptions { Kind = "adam", LearningRate = options.LearningRate },
            Schedule = new ScheduleOptions { Kind = "cosine", MinLearningRate = options.LearningRate / 20 },
            ClipNorm = 1,
            EvalEvery = validate ? perEpoch : 0,
            HistoryEvery = perEpoch,
            ClassWeights = classWeights,
        };
    }

    /// <summary>w_c = N / (C · n_c) over the training labels (a class with no training sequence gets weight 1).</summary>
    public static float[] BalancedWeights(IReadOnlyList<SequenceExample> train, int classes)
    {
        ArgumentNullException.ThrowIfNull(train);
        var counts = new int[classes];
        foreach (var e in train)
            counts[e.Label]++;
        var weights = new float[classes];
        for (int c = 0; c < classes; c++)
            weights[c] = counts[c] == 0 ? 1f : (float)(train.Count / ((double)classes * counts[c]));
        return weights;
    }

    private static double Accuracy(ClassifyPredictor predictor, IReadOnlyList<SequenceExample> examples)
    {
        int[] predicted = predictor.PredictScaled(examples.Select(e => e.Features!).ToArray());
        int correct = 0;
        for (int i = 0; i < predicted.Length; i++)
        {
            if (predicted[i] == examples[i].Label)
                correct++;
        }
        return (double)correct / examples.Count;
    }
}
