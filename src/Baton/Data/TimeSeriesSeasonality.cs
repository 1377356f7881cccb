namespace Baton.Data;

/// <summary>Seasonal component of a <see cref="TimeSeriesHoltWinters"/> model.</summary>
internal enum TimeSeriesSeasonality
{
    /// <summary>No season.</summary>
    None,

    /// <summary>The season is added to level and trend.</summary>
    Additive,

    /// <summary>Level and trend are multiplied by the season (positive series only).</summary>
    Multiplicative,
}
