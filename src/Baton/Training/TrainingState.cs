namespace Baton.Training;

/// <summary>
/// Everything besides the parameters and optimizer arrays that a resumed run needs to continue bit-identically;
/// stored as JSON in a checkpoint's <c>__metadata__["baton.checkpoint"]</c>.
/// </summary>
internal sealed record TrainingState
{
    /// <summary>Completed optimizer steps.</summary>
    public long Step { get; init; }

    /// <summary>The optimizer's own step count (PyTorch's state["step"]).</summary>
    public long OptimizerSteps { get; init; }

    /// <summary>The Rng state (four words, as hexadecimal strings so every JSON reader keeps them exact).</summary>
    public string[] Rng { get; init; } = [];

    /// <summary>The data position (<see cref="ITrainingData.Position"/>).</summary>
    public long[] DataPosition { get; init; } = [];

    /// <summary>Best validation loss so far (null before the first validation).</summary>
    public double? BestValidationLoss { get; init; }

    /// <summary>Step of the best validation loss.</summary>
    public long BestStep { get; init; }

    /// <summary>Validations in a row without a new best.</summary>
    public int BadEvaluations { get; init; }

    /// <summary>Sum of training losses since the last history entry.</summary>
    public double PendingLossSum { get; init; }

    /// <summary>Number of steps in <see cref="PendingLossSum"/>.</summary>
    public int PendingLossCount { get; init; }

    /// <summary>Last validation loss (null before the first).</summary>
    public double? LastValidationLoss { get; init; }

    /// <summary>Wall-clock seconds spent training so far (informational).</summary>
    public double ElapsedSeconds { get; init; }

    /// <summary>Tokens (or sequences' steps) processed so far.</summary>
    public long Tokens { get; init; }

    /// <summary>The run's settings.</summary>
    public TrainerOptions Options { get; init; } = new();

    /// <summary>The training history, one entry every <see cref="TrainerOptions.HistoryEvery"/> steps.</summary>
    public HistoryEntry[] History { get; init; } = [];
}
