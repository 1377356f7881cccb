namespace Baton.Training;

/// <summary>The classical forecast a forecaster's network corrects.</summary>
internal enum ForecastBase
{
    /// <summary>None: the network's output, restored to the target's units, is the forecast.</summary>
    None,

    /// <summary>
    /// Holt-Winters exponential smoothing (<see cref="Data.TimeSeriesHoltWinters"/>) fitted on the training part:
    /// the network reads the smoothing forecast beside the window and predicts its error (ES-RNN-style hybrid);
    /// the forecast is the smoothing forecast plus the network's correction times a blend weight chosen on the
    /// validation part.
    /// </summary>
    Ets,
}
