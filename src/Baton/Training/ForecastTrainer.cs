using Baton.Data;
using Baton.Models;

namespace Baton.Training;

/// <summary>
/// Trains a forecast <see cref="SequenceModel"/> on the training windows of a <see cref="ForecastData"/> (built per batch, <see cref="ForecastExamples"/>)
/// (MSE on the standardised targets, Adam with a cosine schedule, gradient clipping), validating on the
/// validation windows and keeping the weights of the best validation loss. The test part is never read.
/// </summary>
internal static class ForecastTrainer
{
    /// <summary>
    /// Outcome of <see cref="Train"/>: the model (best weights), the trainer's result, the validation loss of the kept
    /// weights, the scheme to predict with (its blend weight chosen on the validation part when it has a base), and the
    /// validation error of its forecasts: mean over validation origins, steps and targets of |y − ŷ| / (target's training std).
    /// </summary>
    public sealed record Result(SequenceModel Model, TrainingResult Training, double ValidationLoss, long BestStep, ForecastScheme Scheme,
        double ValidationError);

    /// <summary>Blend weights of the network's correction tried on the validation part when the scheme has a base.</summary>
    public static readonly double[] Blends = [0, 0.25, 0.5, 0.75, 1];

    /// <summary>
    /// Trains on origins <see cref="Data.TimeSeriesSplit.TrainOrigins"/> and validates on
    /// <see cref="Data.TimeSeriesSplit.ValidationOrigins"/>. <paramref name="progress"/> is called after every step. With
    /// <paramref name="engineFactory"/> the steps compute on the engine it makes (a GPU); validation and the forecasts that choose
    /// the blend run on the CPU engine, with the base forecasts and scaling, which are computed per example on the host either way.
    /// </summary>
    public static Result Train(ForecastData data, ForecastOptions options, Action<TrainingProgress>? progress = null,
        CancellationToken cancellationToken = default, TrainingEngineFactory? engineFactory = null)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(options);
        var (_, trainEnd) = data.Split.TrainOrigins(data.Window, data.Horizon);
        var (validationStart, validationEnd) = data.Split.ValidationOrigins(data.Horizon);
        var examples = new ForecastExamples(data, data.FirstOrigin, trainEnd, validationStart, validationEnd, options.BatchSize, options.Seed);
        var config = data.ModelConfig(options.Cell, options.Hidden, options.Layers);
        config.Validate();
        var model = new SequenceModel(config);
        var trainerOptions = TrainerOptions(options);
        var trainer = new Trainer(model, examples, trainerOptions);
        using var engine = engineFactory?.Invoke(model, trainerOptions, examples.MaxT, examples.MaxB);
        if (engine is not null)
            trainer.UseEngine(engine);
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
        var (scheme, error) = ChooseBlend(data, model);
        return new Result(model, result, bestLoss, bestStep, scheme, error);
    }

    /// <summary>
    /// The trainer's settings of a forecast run: Adam at <see cref="ForecastOptions.LearningRate"/> with a cosine schedule down to a
    /// twentieth of it, clipping at norm 1, MSE, validation every <see cref="ForecastOptions.EvalEvery"/> steps.
    /// </summary>
    public static TrainerOptions TrainerOptions(ForecastOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return new TrainerOptions
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
    }

    /// <summary>
    /// The scheme with its smoothing replaced by <paramref name="smoothing"/> (one model per target): once the network and
    /// its weight are chosen, the caller refits the smoothing on the training and validation rows, so that the test part
    /// and later forecasts start from every row the choices were made on (as classical methods are refitted before
    /// forecasting). The network's weights are kept. Unchanged when the base does not use the smoothing.
    /// </summary>
    public static ForecastScheme WithSmoothing(ForecastScheme scheme, TimeSeriesHoltWinters.Parameters[] smoothing)
    {
        ArgumentNullException.ThrowIfNull(scheme);
        ArgumentNullException.ThrowIfNull(smoothing);
        if (!scheme.UsesSmoothing)
            return scheme;
        if (smoothing.Length != scheme.Ets.Length)
            throw new ArgumentException($"{smoothing.Length} smoothing models for {scheme.Ets.Length} targets.", nameof(smoothing));
        return scheme with { Ets = smoothing };
    }

    /// <summary>
    /// The scheme with the blend weight (of <see cref="Blends"/>) whose forecasts have the lowest validation MAE
    /// (each target's over its training std), and that error averaged; the scheme as it is without a base.
    /// </summary>
    private static (ForecastScheme Scheme, double Error) ChooseBlend(ForecastData data, SequenceModel model)
    {
        var (start, end) = data.Split.ValidationOrigins(data.Horizon);
        double[] full = new ForecastPredictor(model, data.Scheme with { Blend = 1 }).Predict(data.Rows, start, end);
        double[] none = data.Scheme.Base == ForecastBase.None ? full
            : new ForecastPredictor(model, data.Scheme with { Blend = 0 }).Predict(data.Rows, start, end);
        double[] blends = data.Scheme.Base == ForecastBase.None ? [1] : Blends;
        int J = data.Targets.Length, K = data.Horizon, C = data.Columns.Length;
        double bestError = double.PositiveInfinity, bestBlend = 0;
        foreach (double blend in blends)
        {
            double error = 0;
            for (int o = 0; o < end - start; o++)
            {
                for (int h = 0; h < K; h++)
                {
                    for (int j = 0; j < J; j++)
                    {
                        int i = (o * K + h) * J + j;
                        double forecast = none[i] + blend * (full[i] - none[i]);
                        error += Math.Abs(data.Rows[(start + o + 1 + h) * C + j] - forecast) / data.Scaler.Std[j];
                    }
                }
            }
            if (error < bestError)
            {
                bestError = error;
                bestBlend = blend;
            }
        }
        return (data.Scheme with { Blend = bestBlend }, bestError / ((double)(end - start) * K * J));
    }
}
