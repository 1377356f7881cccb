namespace Baton;

/// <summary>
/// Reported to <see cref="FitOptions.Progress"/> after every optimizer step. Losses are means: nats per label for the
/// classification tasks, the <see cref="FitOptions.Loss"/> per value for regression.
/// </summary>
/// <param name="Epoch">The epoch this step belongs to, from 1.</param>
/// <param name="Epochs">Epochs of the whole run (the last may be partial when <see cref="FitOptions.Steps"/> is set).</param>
/// <param name="Step">Optimizer steps completed, from 1.</param>
/// <param name="TotalSteps">Optimizer steps of the whole run.</param>
/// <param name="Loss">Training loss of this step's batch.</param>
/// <param name="ValidationLoss">Loss on <see cref="FitOptions.Validation"/> when this step ended an epoch, else null.</param>
/// <param name="Elapsed">Training time so far (including the time before a resume).</param>
public sealed record FitProgress(int Epoch, int Epochs, long Step, long TotalSteps, double Loss, double? ValidationLoss, TimeSpan Elapsed);
