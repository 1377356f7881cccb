namespace Baton.Data;

/// <summary>Trend component of a <see cref="TimeSeriesHoltWinters"/> model.</summary>
internal enum TimeSeriesTrend
{
    /// <summary>No trend: the forecast is the level (plus season).</summary>
    None,

    /// <summary>Damped additive trend: the h-step forecast adds (φ + φ² + … + φ^h)·b.</summary>
    Damped,
}
