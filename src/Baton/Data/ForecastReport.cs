namespace Baton.Data;

/// <summary>
/// Test-part accuracy of a model beside the two baselines, each averaged over targets, with the season
/// used for each target (seasonal naive and the MASE denominator) and the number of forecast origins.
/// </summary>
internal sealed record ForecastReport(ForecastScores Model, ForecastScores SeasonalNaive, ForecastScores LastValue,
    int[] Seasons, int Origins);
