namespace Baton;

/// <summary>Why <see cref="RecurrentModel.Fit"/> returned.</summary>
public enum FitStopReason
{
    /// <summary>Every epoch (or step) asked for was run.</summary>
    Completed,

    /// <summary>The validation loss did not improve for <see cref="FitOptions.Patience"/> epochs in a row.</summary>
    EarlyStopped,

    /// <summary>The cancellation token was cancelled; the model keeps the weights of the last completed step.</summary>
    Cancelled,

    /// <summary>A loss or gradient became NaN or infinite; the update that caused it was not applied.</summary>
    Diverged,
}
