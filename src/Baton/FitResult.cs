namespace Baton;

/// <summary>What <see cref="RecurrentModel.Fit"/> did.</summary>
/// <param name="Reason">Why it stopped.</param>
/// <param name="Steps">Optimizer steps completed (counting those before a resume).</param>
/// <param name="Epochs">Epochs completed, fractional when the run stopped inside one.</param>
/// <param name="TrainingLoss">Mean training loss over the steps of the last epoch run (NaN when no step ran).</param>
/// <param name="BestValidationLoss">Lowest validation loss seen at an epoch's end, or null without validation.</param>
/// <param name="BestEpoch">The epoch of <paramref name="BestValidationLoss"/> (0 without validation).</param>
/// <param name="Validation">Metrics of the final weights (the restored best ones when restored) on <see cref="FitOptions.Validation"/>, or null.</param>
/// <param name="Message">One line that says what happened, for logs.</param>
/// <param name="History">The progress reported at the last step of every epoch this call ran (as Keras's <c>History</c>):
/// its <see cref="FitProgress.Loss"/> is replaced by the epoch's mean training loss.</param>
public sealed record FitResult(FitStopReason Reason, long Steps, double Epochs, double TrainingLoss, double? BestValidationLoss,
    int BestEpoch, Evaluation? Validation, string Message, IReadOnlyList<FitProgress> History);
