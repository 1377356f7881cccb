namespace Baton.Data;

/// <summary>How a <see cref="TimeSeriesHoltWinters"/> model's initial state is taken from the first values.</summary>
internal enum TimeSeriesStart
{
    /// <summary>
    /// From the first season: ℓ = μ₁ (its mean), b = (μ₂ − μ₁)/m, s_i = y_i − μ₁ (additive) or y_i/μ₁ (multiplicative).
    /// The start of model files written before the start was stored.
    /// </summary>
    FirstSeason,

    /// <summary>
    /// From the first two seasons detrended by the line through their means, the factors averaged over both seasons
    /// (<see cref="TimeSeriesHoltWinters.Initial"/> gives the formulas). The start of model files written before the
    /// initial state was fitted, and the point from which <see cref="TimeSeriesHoltWinters.Fit"/> searches.
    /// </summary>
    TwoSeasons,

    /// <summary>
    /// The initial state fitted with the smoothing parameters (<see cref="TimeSeriesHoltWinters.Fit"/>) and stored in
    /// <see cref="TimeSeriesHoltWinters.Parameters.InitialState"/>: the state before the first row of the series the
    /// model was fitted on. The start <see cref="TimeSeriesHoltWinters.Fit"/> returns.
    /// </summary>
    Fitted,
}
