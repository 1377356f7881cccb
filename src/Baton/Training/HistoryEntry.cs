namespace Baton.Training;

/// <summary>One line of the training history kept in checkpoints: the mean training loss of the steps since the previous entry.</summary>
internal sealed record HistoryEntry(long Step, double Loss, double? ValidationLoss, double LearningRate);
