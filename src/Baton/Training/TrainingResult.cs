namespace Baton.Training;

/// <summary>Outcome of <see cref="Trainer.Run"/>: why it stopped (with a one-line <see cref="Message"/>), where, and the best validation loss.</summary>
internal sealed record TrainingResult(StopReason Reason, long Step, double LastLoss, double? BestValidationLoss, long BestStep, string Message);
