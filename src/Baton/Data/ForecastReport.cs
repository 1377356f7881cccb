namespace Baton.Data;

/// <summary>
/// Test-part accuracy of a model beside the two baselines, each averaged over targets, with the season
/// used for each target (seasonal naive and the MASE denominator) and the number of forecast origins.
/// </summary>
internal sealed record ForecastReport(ForecastScores Model, ForecastScores SeasonalNaive, ForecastScores LastValue,
    int[] Seasons, int Origins)
{
    /// <summary>Holt-Winters exponential smoothing fitted on the training part, when it was scored.</summary>
    public ForecastScores? Ets { get; init; }

    /// <summary>Seasonal naive with each detected season (the same season for every target), in ascending season order.</summary>
    public IReadOnlyList<(int Season, ForecastScores Scores)> SeasonalNaives { get; init; } = [];
}
