namespace Baton.Training;

/// <summary>Why <see cref="Trainer.Run"/> returned.</summary>
internal enum StopReason
{
    /// <summary>Reached the maximum number of steps.</summary>
    Completed,
    /// <summary>Validation loss did not improve for <see cref="TrainerOptions.Patience"/> validations.</summary>
    EarlyStopped,
    /// <summary>The cancellation token fired.</summary>
    Cancelled,
    /// <summary>A loss or gradient became NaN or infinite; the parameters were not updated with it and the last checkpoint is kept.</summary>
    Diverged,
}
