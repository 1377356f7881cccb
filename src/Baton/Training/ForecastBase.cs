namespace Baton.Training;

/// <summary>
/// The classical forecast a forecaster's network corrects. With a base, the network reads the base forecast beside
/// the window and predicts its error (ES-RNN-style hybrid); the forecast is the base forecast plus the network's
/// correction times a blend weight chosen on the validation part.
/// </summary>
internal enum ForecastBase
{
    /// <summary>None: the network's output, restored to the target's units, is the forecast.</summary>
    None,

    /// <summary>Holt-Winters exponential smoothing (<see cref="Data.TimeSeriesHoltWinters"/>) fitted on the training part.</summary>
    Ets,

    /// <summary>Seasonal naive of season m (<see cref="ForecastScheme.BaseSeason"/>): ŷ[t+h] = y[t + h − m·ceil(h/m)].</summary>
    SeasonalNaive,

    /// <summary>The mean of the <see cref="Ets"/> and <see cref="SeasonalNaive"/> forecasts: ŷ = (ŷ_ets + ŷ_naive) / 2.</summary>
    Combined,
}
