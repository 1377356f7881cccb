namespace Baton.Data;

/// <summary>
/// Holt-Winters exponential smoothing with an optional damped trend and an additive or multiplicative
/// season of length m, in the error-correction form of Hyndman et al. (and statsmodels'
/// <c>ExponentialSmoothing</c>). With ℓ, b, s the level, trend and season, and y the new value:
/// <code>
/// additive:        ℓ' = α(y − s[t−m]) + (1−α)(ℓ + φb)
///                  s' = γ(y − ℓ − φb) + (1−γ)s[t−m]
/// multiplicative:  ℓ' = α y / s[t−m] + (1−α)(ℓ + φb)
///                  s' = γ y / (ℓ + φb) + (1−γ)s[t−m]
/// trend:           b' = β(ℓ' − ℓ) + (1−β)φb          (b = 0 and φ = 0 without trend)
/// forecast h ahead: (ℓ + (φ + … + φ^h) b) ⊕ s[t + h − m·ceil(h/m)]   (⊕ = + or ×)
/// </code>
/// The state is a small machine fed one value at a time, so batch and streaming forecasts agree exactly.
/// </summary>
internal sealed class TimeSeriesHoltWinters
{
    /// <summary>Smallest damping searched by <see cref="Fit"/>.</summary>
    public const double MinPhi = 0.8;

    /// <summary>Largest damping searched by <see cref="Fit"/>.</summary>
    public const double MaxPhi = 0.98;

    private readonly double[] season;   // [m] ring buffer: season[k % m] is the factor of the k-th value
    private long count;

    /// <summary>The smoothing parameters, the structure and the initial-state rule of a Holt-Winters model.</summary>
    public sealed record Parameters(double Alpha, double Beta, double Gamma, double Phi, TimeSeriesTrend Trend,
        TimeSeriesSeasonality Seasonality, int Period, TimeSeriesStart Start = TimeSeriesStart.TwoSeasons)
    {
        /// <summary>A short name such as <c>ETS(A,Ad,M) m=12</c>.</summary>
        public override string ToString() =>
            $"ETS(A,{(Trend == TimeSeriesTrend.Damped ? "Ad" : "N")},{Seasonality switch { TimeSeriesSeasonality.Additive => "A", TimeSeriesSeasonality.Multiplicative => "M", _ => "N" }})" +
            (Seasonality == TimeSeriesSeasonality.None ? "" : $" m={Period}");
    }

    /// <summary>
    /// A model in the state given: level <paramref name="level"/>, trend <paramref name="trend"/> and the
    /// season factors of the last m values <paramref name="initialSeason"/> (oldest first; empty without season).
    /// </summary>
    public TimeSeriesHoltWinters(Parameters parameters, double level, double trend, ReadOnlySpan<double> initialSeason)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        int m = parameters.Seasonality == TimeSeriesSeasonality.None ? 1 : parameters.Period;
        if (parameters.Seasonality != TimeSeriesSeasonality.None && initialSeason.Length != m)
            throw new ArgumentException($"{m} season factors are needed, got {initialSeason.Length}.", nameof(initialSeason));
        Model = parameters;
        Level = level;
        Trend = parameters.Trend == TimeSeriesTrend.None ? 0 : trend;
        season = new double[m];
        if (parameters.Seasonality != TimeSeriesSeasonality.None)
            initialSeason.CopyTo(season);
    }

    /// <summary>A copy in the same state (level, trend, season factors, values fed): feeding both the same values gives the same forecasts.</summary>
    public TimeSeriesHoltWinters Clone()
    {
        var copy = new TimeSeriesHoltWinters(Model, Level, Trend, Model.Seasonality == TimeSeriesSeasonality.None ? [] : season);
        copy.count = count;
        return copy;
    }

    /// <summary>Puts this model in the state of <paramref name="other"/>, which has the same parameters.</summary>
    public void CopyStateFrom(TimeSeriesHoltWinters other)
    {
        ArgumentNullException.ThrowIfNull(other);
        if (other.Model != Model)
            throw new ArgumentException("The models differ in parameters.", nameof(other));
        Level = other.Level;
        Trend = other.Trend;
        other.season.CopyTo(season, 0);
        count = other.count;
    }

    /// <summary>The model's parameters.</summary>
    public Parameters Model { get; }

    /// <summary>Current level ℓ.</summary>
    public double Level { get; private set; }

    /// <summary>Current trend b.</summary>
    public double Trend { get; private set; }

    /// <summary>Bytes of the state a copy holds: the season factors, level, trend and count, 8 bytes each.</summary>
    public int StateBytes => 8 * (season.Length + 3);

    /// <summary>Values fed so far.</summary>
    public long Count => count;

    private int Period => season.Length;

    private double Phi => Model.Trend == TimeSeriesTrend.Damped ? Model.Phi : 0;

    /// <summary>
    /// The heuristic initial state of <paramref name="parameters"/>'s structure from the first 2m values of
    /// <paramref name="y"/>, by its <see cref="Parameters.Start"/>. <see cref="TimeSeriesStart.FirstSeason"/>:
    /// ℓ = μ₁, b = (μ₂ − μ₁)/m, s_i = y_i − μ₁ or y_i/μ₁. <see cref="TimeSeriesStart.TwoSeasons"/>:
    /// with μ₁, μ₂ the means of the first and second season, the trend line is
    /// L(i) = μ₁ + b·(i − (m − 1)/2), b = (μ₂ − μ₁)/m; the season factor of phase i is the mean of the two detrended
    /// values, s_i = ((y_i − L(i)) + (y_{i+m} − L(i+m)))/2 (additive) or (y_i/L(i) + y_{i+m}/L(i+m))/2
    /// (multiplicative), then centred to sum 0 (mean 1). The state is the one before y₀: with a trend
    /// ℓ = L(−1) = μ₁ − b·(m + 1)/2 and trend b, without one ℓ = μ₁. Without season ℓ = y₀ and b = y₁ − y₀.
    /// Needs 2m values with a season, 2 without.
    /// </summary>
    public static TimeSeriesHoltWinters Initial(Parameters parameters, ReadOnlySpan<double> y)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        if (parameters.Seasonality == TimeSeriesSeasonality.None)
        {
            if (y.Length < 2)
                throw new ArgumentException("Two values are needed to start a model.", nameof(y));
            return new TimeSeriesHoltWinters(parameters, y[0], y[1] - y[0], []);
        }
        int m = parameters.Period;
        if (y.Length < 2 * m)
            throw new ArgumentException($"{2 * m} values are needed to start a model with season {m}.", nameof(y));
        double first = Mean(y[..m]);
        double second = Mean(y.Slice(m, m));
        double slope = (second - first) / m;
        bool multiplicative = parameters.Seasonality == TimeSeriesSeasonality.Multiplicative;
        var factors = new double[m];
        if (parameters.Start == TimeSeriesStart.FirstSeason)
        {
            for (int i = 0; i < m; i++)
                factors[i] = multiplicative ? y[i] / first : y[i] - first;
            // The state is "before y0": the first season's factors are those of the m values before it.
            return new TimeSeriesHoltWinters(parameters, first, slope, factors);
        }
        double total = 0;
        for (int i = 0; i < m; i++)
        {
            double sum = 0;
            for (int k = i; k < 2 * m; k += m)
            {
                double line = first + slope * (k - (m - 1) / 2.0);
                sum += multiplicative ? y[k] / (line > 0 ? line : first) : y[k] - line;
            }
            factors[i] = sum / 2;
            total += factors[i];
        }
        for (int i = 0; i < m; i++)
            factors[i] = multiplicative ? factors[i] * m / total : factors[i] - total / m;
        bool trended = parameters.Trend == TimeSeriesTrend.Damped;
        double level = trended ? first - slope * (m + 1) / 2.0 : first;
        // The state is "before y0": the first season's factors are those of the m values before it.
        return new TimeSeriesHoltWinters(parameters, level, slope, factors);
    }

    /// <summary>The forecast of the value <paramref name="step"/> steps ahead (1-based) from the current state.</summary>
    public double Forecast(int step)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(step, 1, nameof(step));
        double damped = 0, power = 1;
        for (int i = 1; i <= step; i++)
        {
            power *= Phi;
            damped += power;
        }
        double trend = Level + damped * Trend;
        return Model.Seasonality switch
        {
            TimeSeriesSeasonality.Additive => trend + SeasonAhead(step),
            TimeSeriesSeasonality.Multiplicative => trend * SeasonAhead(step),
            _ => trend,
        };
    }

    /// <summary>Feeds the next value and returns the one-step error y − ŷ made before it.</summary>
    public double Update(double y)
    {
        double predicted = Forecast(1);
        int slot = (int)(count % Period);
        double old = season[slot];
        double previousLevel = Level;
        double smoothed = Level + Phi * Trend;
        switch (Model.Seasonality)
        {
            case TimeSeriesSeasonality.Additive:
                Level = Model.Alpha * (y - old) + (1 - Model.Alpha) * smoothed;
                season[slot] = Model.Gamma * (y - smoothed) + (1 - Model.Gamma) * old;
                break;
            case TimeSeriesSeasonality.Multiplicative:
                Level = Model.Alpha * y / old + (1 - Model.Alpha) * smoothed;
                season[slot] = Model.Gamma * y / smoothed + (1 - Model.Gamma) * old;
                break;
            default:
                Level = Model.Alpha * y + (1 - Model.Alpha) * smoothed;
                break;
        }
        if (Model.Trend == TimeSeriesTrend.Damped)
            Trend = Model.Beta * (Level - previousLevel) + (1 - Model.Beta) * Phi * Trend;
        count++;
        return y - predicted;
    }

    /// <summary>
    /// Fits Holt-Winters to <paramref name="train"/> with season <paramref name="period"/> (1 = none): for every
    /// structure that applies (trend none or damped; season none, additive, or multiplicative when every value is
    /// positive; a season needs three full periods), α, β, γ and φ minimise the one-step squared error from the
    /// heuristic start (<see cref="Initial"/>, <see cref="TimeSeriesStart.TwoSeasons"/>) by Nelder-Mead on a logistic reparametrisation
    /// (0 &lt; α, β, γ &lt; 1, γ ≤ 1 − α, φ in [<see cref="MinPhi"/>, <see cref="MaxPhi"/>]), and the structure with
    /// the lowest AIC = n·ln(SSE/n) + 2k (k = parameters + initial states) is returned, started from the
    /// beginning of <paramref name="train"/> and not yet fed any value.
    /// </summary>
    public static TimeSeriesHoltWinters Fit(ReadOnlySpan<double> train, int period)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(period, 1, nameof(period));
        if (train.Length < 4)
            throw new TimeSeriesDataException($"the training part has {train.Length} rows; exponential smoothing needs at least 4.");
        bool positive = true;
        foreach (double v in train)
            positive &= v > 0;
        var seasonalities = new List<TimeSeriesSeasonality> { TimeSeriesSeasonality.None };
        if (period > 1 && train.Length >= 3 * period)
        {
            seasonalities.Add(TimeSeriesSeasonality.Additive);
            if (positive)
                seasonalities.Add(TimeSeriesSeasonality.Multiplicative);
        }
        double[] y = train.ToArray();
        Parameters? best = null;
        double bestAic = double.PositiveInfinity;
        foreach (var seasonality in seasonalities)
        {
            foreach (var trend in new[] { TimeSeriesTrend.None, TimeSeriesTrend.Damped })
            {
                var (parameters, sse) = FitStructure(y, trend, seasonality, period);
                int m = seasonality == TimeSeriesSeasonality.None ? 0 : period;
                int k = 1 + (trend == TimeSeriesTrend.Damped ? 3 : 0) + (m > 0 ? 1 : 0) + 1 + m;
                double aic = y.Length * Math.Log(Math.Max(sse, double.Epsilon) / y.Length) + 2 * k;
                if (aic < bestAic)
                {
                    bestAic = aic;
                    best = parameters;
                }
            }
        }
        return Initial(best!, y);
    }

    /// <summary>Sum of squared one-step errors of <paramref name="parameters"/> over <paramref name="y"/> from the heuristic start.</summary>
    public static double OneStepSse(Parameters parameters, ReadOnlySpan<double> y)
    {
        var model = Initial(parameters, y);
        double sse = 0;
        foreach (double v in y)
        {
            double e = model.Update(v);
            sse += e * e;
            if (!double.IsFinite(sse))
                return double.PositiveInfinity;
        }
        return sse;
    }

    private static (Parameters Parameters, double Sse) FitStructure(double[] y, TimeSeriesTrend trend, TimeSeriesSeasonality seasonality, int period)
    {
        bool hasTrend = trend == TimeSeriesTrend.Damped;
        bool hasSeason = seasonality != TimeSeriesSeasonality.None;
        Parameters Decode(ReadOnlySpan<double> u)
        {
            double alpha = Logistic(u[0]) * 0.9998 + 0.0001;
            double beta = hasTrend ? Logistic(u[1]) * 0.9998 + 0.0001 : 0;
            double gamma = hasSeason ? Logistic(u[2]) * (1 - alpha) * 0.9998 + 0.0001 * (1 - alpha) : 0;
            double phi = hasTrend ? MinPhi + (MaxPhi - MinPhi) * Logistic(u[3]) : 1;
            return new Parameters(alpha, beta, gamma, phi, trend, seasonality, hasSeason ? period : 1, TimeSeriesStart.TwoSeasons);
        }
        double[] start = [Logit(0.3), Logit(0.05), Logit(0.1), Logit(0.9)];
        var (u, sse) = NelderMead(start, v => OneStepSse(Decode(v), y), iterations: 300);
        return (Decode(u), sse);
    }

    /// <summary>Minimises <paramref name="f"/> from <paramref name="start"/> with the Nelder-Mead simplex (standard coefficients).</summary>
    internal static (double[] Best, double Value) NelderMead(double[] start, Func<double[], double> f, int iterations)
    {
        int d = start.Length;
        var points = new double[d + 1][];
        var values = new double[d + 1];
        for (int i = 0; i <= d; i++)
        {
            points[i] = (double[])start.Clone();
            if (i > 0)
                points[i][i - 1] += 1.0;
            values[i] = f(points[i]);
        }
        var centroid = new double[d];
        for (int iteration = 0; iteration < iterations; iteration++)
        {
            Array.Sort(values, points);
            if (values[d] - values[0] <= 1e-10 * (Math.Abs(values[0]) + 1e-12))
                break;
            Array.Clear(centroid);
            for (int i = 0; i < d; i++)
            {
                for (int k = 0; k < d; k++)
                    centroid[k] += points[i][k] / d;
            }
            double[] Along(double t) => [.. Enumerable.Range(0, d).Select(k => centroid[k] + t * (points[d][k] - centroid[k]))];
            double[] reflected = Along(-1);
            double fr = f(reflected);
            if (fr < values[0])
            {
                double[] expanded = Along(-2);
                double fe = f(expanded);
                (points[d], values[d]) = fe < fr ? (expanded, fe) : (reflected, fr);
            }
            else if (fr < values[d - 1])
            {
                (points[d], values[d]) = (reflected, fr);
            }
            else
            {
                double[] contracted = fr < values[d] ? Along(-0.5) : Along(0.5);
                double fc = f(contracted);
                if (fc < Math.Min(fr, values[d]))
                {
                    (points[d], values[d]) = (contracted, fc);
                }
                else
                {
                    for (int i = 1; i <= d; i++)
                    {
                        for (int k = 0; k < d; k++)
                            points[i][k] = points[0][k] + 0.5 * (points[i][k] - points[0][k]);
                        values[i] = f(points[i]);
                    }
                }
            }
        }
        Array.Sort(values, points);
        return (points[0], values[0]);
    }

    private double SeasonAhead(int step)
    {
        // The target is value number count + step - 1; its phase's factor was last updated m·ceil(step/m) values earlier.
        return season[(int)((count + step - 1) % Period)];
    }

    private static double Mean(ReadOnlySpan<double> values)
    {
        double sum = 0;
        foreach (double v in values)
            sum += v;
        return sum / values.Length;
    }

    private static double Logistic(double u) => 1 / (1 + Math.Exp(-u));

    private static double Logit(double p) => Math.Log(p / (1 - p));
}
