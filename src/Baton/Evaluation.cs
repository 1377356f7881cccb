namespace Baton;

/// <summary>
/// Metrics of a <see cref="RecurrentModel"/> on a <see cref="SequenceDataset"/> (<see cref="RecurrentModel.Evaluate"/>).
/// N counts what is scored: sequences for <see cref="ModelTask.Classification"/> and <see cref="ModelTask.Regression"/>,
/// steps (inside each sequence's length) for the per-step tasks.
/// </summary>
/// <param name="Loss">
/// The loss <see cref="RecurrentModel.Fit"/> minimises, averaged as it averages: cross-entropy (1/N) Σ −log p[label] for the
/// classification tasks; for regression the mean squared error over every value in standardised units (the same number
/// as the validation loss of a fit with <see cref="RegressionLoss.MeanSquaredError"/> and the same batch size).
/// </param>
/// <param name="Accuracy">Classification tasks: the fraction of the N labels that argmax p predicts; null for regression.</param>
/// <param name="MeanAbsoluteError">Regression: (1/n) Σ |ŷ − y| over all n values, in the targets' own units; null otherwise.</param>
/// <param name="RootMeanSquaredError">Regression: √((1/n) Σ (ŷ − y)²), in the targets' own units; null otherwise.</param>
/// <param name="Count">N.</param>
public sealed record Evaluation(double Loss, double? Accuracy, double? MeanAbsoluteError, double? RootMeanSquaredError, long Count);
