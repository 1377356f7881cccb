using Baton.Models;

namespace Baton.Training;

/// <summary>
/// Makes the <see cref="ITrainingEngine"/> a run's steps compute on (Baton.Gpu's device trainer) for <paramref name="model"/> trained
/// with <paramref name="options"/> on batches of up to <paramref name="maxT"/> steps and <paramref name="maxB"/> sequences. The
/// trainers that take one (<see cref="ForecastTrainer"/>, <see cref="ClassifyTrainer"/>) call it once the model is initialised,
/// hand the engine to <see cref="Trainer.UseEngine"/> and dispose it at the end of the run.
/// </summary>
internal delegate ITrainingEngine TrainingEngineFactory(SequenceModel model, TrainerOptions options, int maxT, int maxB);
