using Baton.Models;

namespace Baton.Training;

/// <summary>
/// Trains a forecast <see cref="SequenceModel"/> on the training windows of a <see cref="ForecastData"/>
/// (MSE on the standardised targets, Adam with a cosine schedule, gradient clipping), validating on the
/// validation windows and keeping the weights of the best validation loss. The test part is never read.
/// </summary>
internal static class ForecastTrainer
{
    /// <summary>Outcome of <see cref="Train"/>: the model (best weights), the trainer's result and the validation loss of the kept weights.</summary>
    public sealed record Result(SequenceModel Model, TrainingResult Training, double ValidationLoss, long BestStep);

    /// <summary>
    /// Trains on origins <see cref="Data.TimeSeriesSplit.TrainOrigins"/> and validates on
    /// <see cref="Data.TimeSeriesSplit.ValidationOrigins"/>. <paramref name="progress"/> is called after every step.
    /// </summary>
    public static Result Train(ForecastData data, ForecastOptions options, Action<TrainingProgress>? progress = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(options);
        var (trainStart, trainEnd) = data.Split.TrainOrigins(data.Window, data.Horizon);
        var (validationStart, validationEnd) = data.Split.ValidationOrigins(data.Horizon);
        var examples = new SequenceExamples(data.Examples(trainStart, trainEnd), data.Examples(validationStart, validationEnd),
            data.Inputs.Length, data.Horizon * data.Targets.Length, options.BatchSize, options.Seed);
        var config = data.ModelConfig(options.Cell, options.Hidden, options.Layers);
        config.Validate();
        var model = new SequenceModel(config);
        var trainerOptions = new TrainerOptions
        {
            Seed = options.Seed,
            MaxSteps = options.Steps,
            Optimizer = new OptimizerOptions { Kind = "adam", LearningRate = options.LearningRate },
            Schedule = new ScheduleOptions { Kind = "cosine", MinLearningRate = options.LearningRate / 20 },
            ClipNorm = 1,
            RegressionLoss = "mse",
            EvalEvery = (int)Math.Min(options.EvalEvery, options.Steps),
            HistoryEvery = 10,
        };
        var trainer = new Trainer(model, examples, trainerOptions);
        float[] best = (float[])model.Parameters.Data.Clone();
        double bestLoss = double.PositiveInfinity;
        long bestStep = 0;
        trainer.Progress = p =>
        {
            if (p.ValidationLoss is double loss && loss < bestLoss)
            {
                bestLoss = loss;
                bestStep = p.Step;
                model.Parameters.Data.AsSpan().CopyTo(best);
            }
            progress?.Invoke(p);
        };
        var result = trainer.Run(cancellationToken);
        if (double.IsFinite(bestLoss))
        {
            best.AsSpan().CopyTo(model.Parameters.Data);
            model.Parameters.MarkChanged();
        }
        return new Result(model, result, bestLoss, bestStep);
    }
}
