using Baton.Data;

namespace Baton.Tests.Forecast;

public sealed class TimeSeriesHoltWintersTests
{
    /// <summary>statsmodels prints 12 decimals; the recursions agree to rounding.</summary>
    private const double FixtureTolerance = 1e-9;

    private static readonly double[] Y = [12.0, 9.5, 14.0, 8.0, 13.5, 10.0, 15.5, 9.0, 14.0, 11.5, 17.0, 10.0, 15.5, 12.0, 18.5, 11.0];

    // statsmodels 0.13.5: ExponentialSmoothing(Y, trend="add", damped_trend=True, seasonal=..., seasonal_periods=4,
    // initialization_method="known", initial_level=11, initial_trend=0.3, initial_seasonal=...)
    // .fit(smoothing_level=0.4, smoothing_trend=0.2, smoothing_seasonal=0.3, damping_trend=0.9, optimized=False)
    public static TheoryData<bool, double[], double[], double[]> Fixtures() => new()
    {
        {
            false, [1.0, -1.5, 2.5, -2.0],
            [12.27, 9.88556, 13.90477968, 9.60582298304, 11.913534192581, 10.155614416164, 14.354344218289, 9.989848081676,
             13.568125511715, 10.802455226126, 15.773296302311, 10.842823507838, 14.955043109006, 12.366202816717, 17.040409059173, 11.57210575463],
            [16.219323733861, 13.109255318127, 18.477139708076, 11.881545201403, 16.703777307624, 13.545263534513]
        },
        {
            true, [1.08, 0.85, 1.25, 0.8],
            [12.1716, 9.722303777778, 14.403705580392, 9.23291315462, 11.772055501823, 9.897235806212, 14.75408275588, 9.44948264998,
             13.667899949552, 10.504566861466, 16.435861684035, 10.175376478429, 15.282697539044, 11.975272977193, 17.682199872296, 10.803200237134],
            [16.616216318226, 12.889260564783, 19.251750445654, 11.347183806675, 17.247758168182, 13.325341450444]
        },
    };

    [Theory]
    [MemberData(nameof(Fixtures))]
    public void Damped_holt_winters_matches_statsmodels_one_step_and_six_steps_ahead(bool multiplicative, double[] initialSeason,
        double[] fitted, double[] forecast)
    {
        var seasonality = multiplicative ? TimeSeriesSeasonality.Multiplicative : TimeSeriesSeasonality.Additive;
        var parameters = new TimeSeriesHoltWinters.Parameters(0.4, 0.2, 0.3, 0.9, TimeSeriesTrend.Damped, seasonality, 4);
        var model = new TimeSeriesHoltWinters(parameters, 11.0, 0.3, initialSeason);
        for (int t = 0; t < Y.Length; t++)
        {
            Assert.InRange(model.Forecast(1), fitted[t] - FixtureTolerance, fitted[t] + FixtureTolerance);
            double error = model.Update(Y[t]);
            Assert.InRange(error, Y[t] - fitted[t] - FixtureTolerance, Y[t] - fitted[t] + FixtureTolerance);
        }
        // statsmodels 0.13.5 takes the season of step h = m one period too far back; every other step agrees. At h = m
        // the forecast uses the factor updated by the last value (Hyndman et al., s[t + h − m·ceil(h/m)] = s[t]).
        for (int h = 1; h <= forecast.Length; h++)
        {
            if (h != 4)
                Assert.InRange(model.Forecast(h), forecast[h - 1] - FixtureTolerance, forecast[h - 1] + FixtureTolerance);
        }
    }

    [Fact]
    public void Fitting_finds_parameters_no_worse_than_a_coarse_grid_and_picks_the_season()
    {
        // Trend 0.5 per step, season of 6 with amplitude 8, small deterministic wiggle.
        double[] y = [.. Enumerable.Range(0, 96).Select(t => 50 + 0.5 * t + 8 * Math.Sin(2 * Math.PI * t / 6) + 0.7 * Math.Sin(1.7 * t))];
        var fit = TimeSeriesHoltWinters.Fit(y, 6);
        Assert.Equal(6, fit.Model.Period);
        Assert.NotEqual(TimeSeriesSeasonality.None, fit.Model.Seasonality);
        double fitted = TimeSeriesHoltWinters.OneStepSse(fit.Model, y);
        double bestGrid = double.PositiveInfinity;
        foreach (double alpha in new[] { 0.1, 0.3, 0.5, 0.7, 0.9 })
        {
            foreach (double gamma in new[] { 0.05, 0.1, 0.3 })
            {
                if (gamma > 1 - alpha)
                    continue;
                var grid = fit.Model with { Alpha = alpha, Gamma = gamma };
                bestGrid = Math.Min(bestGrid, TimeSeriesHoltWinters.OneStepSse(grid, y));
            }
        }
        Assert.True(fitted <= bestGrid * (1 + 1e-9), $"fitted SSE {fitted} vs grid {bestGrid}");
    }

    [Fact]
    public void The_heuristic_start_detrends_the_first_two_seasons_and_averages_their_factors()
    {
        // A line k + 1 plus a season (1, −1, 2, −2): the trend line through the two seasons' means is the line itself.
        double[] season = [1, -1, 2, -2];
        double[] y = [.. Enumerable.Range(0, 8).Select(k => k + 1 + season[k % 4])];
        var damped = new TimeSeriesHoltWinters.Parameters(0.5, 0.1, 0.1, 0.9, TimeSeriesTrend.Damped, TimeSeriesSeasonality.Additive, 4);
        var model = TimeSeriesHoltWinters.Initial(damped, y);
        // The state before y0: level L(−1) = 2.5 − 1 · 5/2 = 0, trend 1; first forecast 0 + 0.9 · 1 + s0.
        Assert.Equal(0, model.Level, 12);
        Assert.Equal(1, model.Trend, 12);
        Assert.Equal(0.9 + season[0], model.Forecast(1), 12);
        Assert.Equal(0.9 + 0.81 + season[1], model.Forecast(2), 12);
        // Without a trend the level is the first season's mean and the factors are the same.
        var flat = TimeSeriesHoltWinters.Initial(damped with { Trend = TimeSeriesTrend.None }, y);
        Assert.Equal(2.5 + season[2], flat.Forecast(3), 12);
        // The first-season start takes the first season's mean and its values around it, trend and all.
        var first = TimeSeriesHoltWinters.Initial(damped with { Start = TimeSeriesStart.FirstSeason }, y);
        Assert.Equal(2.5, first.Level, 12);
        Assert.Equal((6.5 - 2.5) / 4, first.Trend, 12);
        Assert.Equal(2.5 + 0.9 + (y[0] - 2.5), first.Forecast(1), 12);
    }

    /// <summary>R prints the parameters with 15 significant digits and the fitted values with 12 decimals (values near 10⁴).</summary>
    private const double RFittedTolerance = 1e-6;

    /// <summary>Relative slack on the SSE when comparing optima: the fits must reach R's, to rounding.</summary>
    private const double OptimumSlack = 1e-9;

    private sealed record RFit(double[] Data, TimeSeriesHoltWinters.Parameters Parameters, double[] Fitted, double Sse);

    // tests/Baton.Tests/fixtures/ets/usaccdeaths.txt, from tools/forecast/ets_fixture.R (R 4.2.2, forecast 8.20):
    // ets(USAccDeaths, model = "AAA" or "AAM", damped = TRUE, restrict = FALSE, opt.crit = "mse").
    private static RFit ReadRFit(string model)
    {
        var lines = File.ReadAllLines(Path.Combine(AppContext.BaseDirectory, "fixtures", "ets", "usaccdeaths.txt"));
        double[] Field(string name) => [.. lines.Single(l => l.StartsWith(name + ":", StringComparison.Ordinal))[(name.Length + 1)..]
            .Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(v => double.Parse(v, System.Globalization.CultureInfo.InvariantCulture))];
        double[] theta = Field(model + " params");
        var seasonality = model[2] == 'M' ? TimeSeriesSeasonality.Multiplicative : TimeSeriesSeasonality.Additive;
        var parameters = new TimeSeriesHoltWinters.Parameters(theta[0], theta[1], theta[2], theta[3], TimeSeriesTrend.Damped, seasonality, 12,
            TimeSeriesStart.Fitted, Field(model + " state"));
        return new RFit(Field("data"), parameters, Field(model + " fitted"), Field(model + " sse").Single());
    }

    [Theory]
    [InlineData("AAA")]
    [InlineData("AAM")]
    public void A_fitted_start_from_r_ets_states_reproduces_r_fitted_values(string model)
    {
        var r = ReadRFit(model);
        var smoothing = TimeSeriesHoltWinters.Initial(r.Parameters, []);
        Assert.Equal(72, r.Data.Length);
        for (int t = 0; t < r.Data.Length; t++)
        {
            Assert.InRange(smoothing.Forecast(1), r.Fitted[t] - RFittedTolerance, r.Fitted[t] + RFittedTolerance);
            smoothing.Update(r.Data[t]);
        }
        double sse = TimeSeriesHoltWinters.OneStepSse(r.Parameters, r.Data);
        Assert.InRange(sse, r.Sse * (1 - 1e-9), r.Sse * (1 + 1e-9));
    }

    [Theory]
    [InlineData("AAA")]
    [InlineData("AAM")]
    public void The_joint_fit_of_parameters_and_initial_states_reaches_r_ets_likelihood_and_beats_the_heuristic_start(string model)
    {
        var r = ReadRFit(model);
        var (joint, jointSse) = TimeSeriesHoltWinters.FitStructure(r.Data, TimeSeriesTrend.Damped, r.Parameters.Seasonality, 12, fitStart: true);
        var (heuristic, heuristicSse) = TimeSeriesHoltWinters.FitStructure(r.Data, TimeSeriesTrend.Damped, r.Parameters.Seasonality, 12, fitStart: false);
        Assert.Equal(TimeSeriesStart.Fitted, joint.Start);
        Assert.Equal(TimeSeriesStart.TwoSeasons, heuristic.Start);
        Assert.Equal(jointSse, TimeSeriesHoltWinters.OneStepSse(joint, r.Data), 6);
        // Additive errors: R's likelihood n·ln(SSE) is the SSE's; the same optimum or a better one.
        Assert.True(jointSse <= r.Sse * (1 + OptimumSlack), $"joint SSE {jointSse} vs R's {r.Sse}");
        Assert.True(jointSse <= heuristicSse * (1 + OptimumSlack), $"joint SSE {jointSse} vs heuristic start's {heuristicSse}");
        Assert.True(heuristicSse > r.Sse, $"the heuristic start alone ({heuristicSse}) already reaches R's optimum ({r.Sse}): the test cannot tell the fits apart");
    }

    [Theory]
    [InlineData(false, 0.0)]
    [InlineData(true, 12.0)]
    public void Fitted_season_states_keep_their_sum_and_no_single_state_move_lowers_the_error(bool multiplicative, double sum)
    {
        var seasonality = multiplicative ? TimeSeriesSeasonality.Multiplicative : TimeSeriesSeasonality.Additive;
        var r = ReadRFit("AAA");
        var (fit, sse) = TimeSeriesHoltWinters.FitStructure(r.Data, TimeSeriesTrend.Damped, seasonality, 12, fitStart: true);
        double[] state = fit.InitialState!;
        Assert.Equal(14, state.Length);
        Assert.InRange(state.Skip(2).Sum(), sum - 1e-6, sum + 1e-6);
        // At a least-squares state, moving the level, the trend, or one factor against the last (sum kept) raises the SSE.
        double size = seasonality == TimeSeriesSeasonality.Multiplicative ? 1e-3 : 5.0;
        for (int c = 0; c < 13; c++)
        {
            foreach (double sign in new[] { -1.0, 1.0 })
            {
                double[] moved = (double[])state.Clone();
                double step = c < 2 ? sign * 5.0 : sign * size;
                moved[c] += step;
                if (c >= 2)
                    moved[13] -= step;
                double other = TimeSeriesHoltWinters.OneStepSse(fit with { InitialState = moved }, r.Data);
                Assert.True(other >= sse * (1 - OptimumSlack), $"moving state {c} by {step} lowered the SSE from {sse} to {other}");
            }
        }
    }

    [Fact]
    public void The_state_fit_never_raises_the_error_of_the_start_it_is_given_and_is_exact_for_an_additive_season()
    {
        var r = ReadRFit("AAA");
        var parameters = r.Parameters with { Start = TimeSeriesStart.TwoSeasons, InitialState = null };
        double[] heuristic = TimeSeriesHoltWinters.Initial(parameters, r.Data).State();
        double heuristicSse = TimeSeriesHoltWinters.OneStepSse(parameters, r.Data);
        var (state, sse) = TimeSeriesHoltWinters.FitState(parameters, r.Data, heuristic);
        Assert.True(sse < heuristicSse, $"{sse} vs {heuristicSse}");
        // R's states are optimal for R's parameters (with an additive season the errors are affine in the state, so the
        // least-squares state is unique): one Gauss-Newton fit from the heuristic start lands on R's SSE or below.
        Assert.True(sse <= r.Sse * (1 + OptimumSlack), $"{sse} vs R's {r.Sse}");
        Assert.Equal(sse, TimeSeriesHoltWinters.OneStepSse(parameters with { Start = TimeSeriesStart.Fitted, InitialState = state }, r.Data), 6);
        // Started from R's own state, the fit cannot improve on it by more than rounding.
        var (_, again) = TimeSeriesHoltWinters.FitState(parameters, r.Data, r.Parameters.InitialState!);
        Assert.InRange(again, sse * (1 - 1e-9), r.Sse * (1 + 1e-12));
    }

    [Fact]
    public void The_model_choice_counts_initial_states_as_r_ets_does()
    {
        // α, β, φ, γ; ℓ₀, b₀, 11 free factors; σ².
        Assert.Equal(18, TimeSeriesHoltWinters.ParameterCount(TimeSeriesTrend.Damped, TimeSeriesSeasonality.Multiplicative, 12));
        // α; ℓ₀; σ².
        Assert.Equal(3, TimeSeriesHoltWinters.ParameterCount(TimeSeriesTrend.None, TimeSeriesSeasonality.None, 12));
        var fit = TimeSeriesHoltWinters.Fit(ReadRFit("AAA").Data, 12);
        Assert.Equal(TimeSeriesStart.Fitted, fit.Model.Start);
        Assert.Equal(0, fit.Count);
        Assert.Equal(fit.Model.InitialState![0], fit.Level, 12);
    }

    [Fact]
    public void A_season_longer_than_r_ets_fits_keeps_the_heuristic_start_and_a_monthly_one_is_fitted()
    {
        // Season 30 with amplitude 10 and a slow wiggle: the seasonal structures win, and their start stays heuristic.
        double[] y = [.. Enumerable.Range(0, 150).Select(t => 200 + 10 * Math.Sin(2 * Math.PI * t / 30) + 2 * Math.Sin(0.37 * t))];
        var fit = TimeSeriesHoltWinters.Fit(y, 30);
        Assert.NotEqual(TimeSeriesSeasonality.None, fit.Model.Seasonality);
        Assert.Equal(TimeSeriesStart.TwoSeasons, fit.Model.Start);
        Assert.Null(fit.Model.InitialState);
        var monthly = TimeSeriesHoltWinters.Fit(y, TimeSeriesHoltWinters.MaxFittedPeriod);
        Assert.Equal(TimeSeriesStart.Fitted, monthly.Model.Start);
    }
}
