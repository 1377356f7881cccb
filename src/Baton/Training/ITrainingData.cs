namespace Baton.Training;

/// <summary>
/// A deterministic source of training and validation batches for the <see cref="Trainer"/>. Its position is a few
/// integers saved in checkpoints; restoring it continues the exact batch sequence.
/// </summary>
internal interface ITrainingData
{
    /// <summary>Largest number of steps in a batch.</summary>
    int MaxT { get; }

    /// <summary>Largest number of sequences in a batch.</summary>
    int MaxB { get; }

    /// <summary>Number of input features (0 for token input).</summary>
    int InputSize { get; }

    /// <summary>Width of regression targets (0 when not a regression).</summary>
    int TargetSize { get; }

    /// <summary>Fills <paramref name="batch"/> with the next training batch and advances the position.</summary>
    void NextTrain(TrainingBatch batch);

    /// <summary>The position in the training data (e.g. epoch and chunk), for checkpoints.</summary>
    long[] Position { get; set; }

    /// <summary>Number of validation batches (0 = no validation data).</summary>
    int ValidationBatchCount { get; }

    /// <summary>Fills <paramref name="batch"/> with validation batch <paramref name="index"/> (batches are visited in order, from 0).</summary>
    void GetValidation(int index, TrainingBatch batch);
}
