using System.Globalization;
using Baton.Data;

namespace Baton.Training;

/// <summary>
/// Chooses the classical base a forecaster's network corrects, before the network is trained, by rolling-origin
/// validation on the rows before the test part. The candidates, in order, are Holt-Winters (ETS) and, for each
/// season m given, the seasonal naive of m and the mean of the two. Each is scored over origins t in
/// [<c>start</c>, <c>ValidationEnd − K</c>): the validation part's origins and, while they number fewer than
/// <see cref="MinimumOrigins"/>, earlier origins (not before the smoothing can fit a season, 3·primary − 1, nor before
/// every candidate season has a full season behind it):
/// <code>
/// score = mean over t, h = 1..K, targets j of |y_j[t+h] − ŷ_j(t, h)| / d_j,   d_j = in-sample seasonal-naive MAE of the training part
/// </code>
/// At a validation origin the ETS forecast comes from the model fitted on the training part (as at test time); at an
/// earlier origin t from a model fitted (<see cref="TimeSeriesHoltWinters.Fit"/>) on rows [0, t] only, so no forecast
/// scored has seen its targets. The lowest score wins; a tie goes to the earlier candidate. The test part is never read.
/// </summary>
internal static class ForecastBaseChoice
{
    /// <summary>Origins scored at least (when the rows allow): short validation parts are extended into the training part.</summary>
    public const int MinimumOrigins = 24;

    /// <summary>A candidate base and its validation score (mean scaled absolute error).</summary>
    public sealed record Candidate(ForecastBase Base, int Season, double Score)
    {
        /// <summary>A short name: "ETS", "seasonal naive 12", "ETS + seasonal naive 12".</summary>
        public string Name => Base switch
        {
            ForecastBase.Ets => "ETS",
            ForecastBase.SeasonalNaive => $"seasonal naive {Season}",
            _ => $"mean of ETS and seasonal naive {Season}",
        };
    }

    /// <summary>The chosen base, its season (0 for ETS), the origins scored and every candidate's score.</summary>
    public sealed record Result(ForecastBase Base, int Season, int FirstOrigin, int Origins, IReadOnlyList<Candidate> Candidates)
    {
        /// <summary>The score of candidate <paramref name="kind"/> with season <paramref name="season"/> (0 for ETS).</summary>
        public double Score(ForecastBase kind, int season) => Candidates.Single(c => c.Base == kind && c.Season == season).Score;

        /// <summary>Words for a report line.</summary>
        public string Describe() =>
            $"{string.Join(", ", Candidates.Select(c => $"{c.Name} {c.Score.ToString("F4", CultureInfo.InvariantCulture)}"))} " +
            $"(mean scaled error over {Origins} origins from row {FirstOrigin})";
    }

    /// <summary>
    /// Scores the candidates on <paramref name="targets"/> (full series; only rows before
    /// <see cref="TimeSeriesSplit.ValidationEnd"/> are read) and returns the best. <paramref name="ets"/> holds each
    /// target's model fitted on the training part with season <paramref name="primary"/>; <paramref name="naiveSeasons"/>
    /// the seasons of the naive candidates (1 = last value); <paramref name="scaleSeason"/> the season of the scale d_j.
    /// </summary>
    public static Result Choose(IReadOnlyList<double[]> targets, TimeSeriesSplit split, int horizon, int primary,
        IReadOnlyList<int> naiveSeasons, IReadOnlyList<TimeSeriesHoltWinters.Parameters> ets, int scaleSeason)
    {
        ArgumentNullException.ThrowIfNull(targets);
        ArgumentNullException.ThrowIfNull(naiveSeasons);
        ArgumentNullException.ThrowIfNull(ets);
        ArgumentOutOfRangeException.ThrowIfLessThan(horizon, 1, nameof(horizon));
        ArgumentOutOfRangeException.ThrowIfLessThan(primary, 1, nameof(primary));
        if (ets.Count != targets.Count)
            throw new ArgumentException($"{ets.Count} smoothing models for {targets.Count} targets.", nameof(ets));
        var (validationStart, end) = split.ValidationOrigins(horizon);
        int earliest = Math.Max(primary > 1 ? 3 * primary - 1 : 3, naiveSeasons.DefaultIfEmpty(1).Max() - 1);
        int start = Math.Min(validationStart, Math.Max(earliest, end - MinimumOrigins));
        int J = targets.Count, origins = end - start;
        int C = 1 + 2 * naiveSeasons.Count;
        var error = new double[C];
        for (int j = 0; j < J; j++)
        {
            double[] y = targets[j];
            double scale = ForecastMetrics.SeasonalNaiveScale(y.AsSpan(0, split.TrainEnd), scaleSeason);
            double[] smoothed = ForecastEvaluation.EtsForecasts([y], [ets[j]], validationStart, end, horizon);
            for (int t = start; t < end; t++)
            {
                TimeSeriesHoltWinters? refit = null;
                if (t < validationStart)
                {
                    refit = TimeSeriesHoltWinters.Fit(y.AsSpan(0, t + 1), primary);
                    for (int r = 0; r <= t; r++)
                        refit.Update(y[r]);
                }
                for (int h = 1; h <= horizon; h++)
                {
                    double actual = y[t + h];
                    double smooth = refit?.Forecast(h) ?? smoothed[(t - validationStart) * horizon + h - 1];
                    error[0] += Math.Abs(actual - smooth) / scale;
                    for (int s = 0; s < naiveSeasons.Count; s++)
                    {
                        double naive = ForecastBaselines.SeasonalNaive(y, t, h, naiveSeasons[s]);
                        error[1 + 2 * s] += Math.Abs(actual - naive) / scale;
                        error[2 + 2 * s] += Math.Abs(actual - 0.5 * (smooth + naive)) / scale;
                    }
                }
            }
        }
        double count = (double)origins * horizon * J;
        var candidates = new List<Candidate> { new(ForecastBase.Ets, 0, error[0] / count) };
        for (int s = 0; s < naiveSeasons.Count; s++)
        {
            candidates.Add(new(ForecastBase.SeasonalNaive, naiveSeasons[s], error[1 + 2 * s] / count));
            candidates.Add(new(ForecastBase.Combined, naiveSeasons[s], error[2 + 2 * s] / count));
        }
        var best = candidates[0];
        foreach (var candidate in candidates)
        {
            if (candidate.Score < best.Score)
                best = candidate;
        }
        return new Result(best.Base, best.Season, start, origins, candidates);
    }
}
