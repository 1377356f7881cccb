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

    /// <summary>
    /// Longest season whose initial factors <see cref="Fit"/> estimates with the parameters (R's <c>ets</c> fits no
    /// season above 24); a longer season keeps the heuristic two-season start.
    /// </summary>
    public const int MaxFittedPeriod = 24;

    private readonly double[] season;   // [m] ring buffer: season[k % m] is the factor of the k-th value
    private long count;

    /// <summary>
    /// The smoothing parameters, the structure and the initial-state rule of a Holt-Winters model. With
    /// <see cref="TimeSeriesStart.Fitted"/>, <paramref name="InitialState"/> holds the state before the first value,
    /// [ℓ₀, b₀, s₀ … s_{m−1}] (the season factors oldest first; no factors without season).
    /// </summary>
    public sealed record Parameters(double Alpha, double Beta, double Gamma, double Phi, TimeSeriesTrend Trend,
        TimeSeriesSeasonality Seasonality, int Period, TimeSeriesStart Start = TimeSeriesStart.TwoSeasons, double[]? InitialState = null)
    {
        /// <summary>Values the start reads before the model can forecast: 2m (2 without season) for a heuristic start, 0 for a fitted one.</summary>
        public int StartRows => Start == TimeSeriesStart.Fitted ? 0 : 2 * Math.Max(1, Period);

        /// <summary>Length of <see cref="InitialState"/>: 2 + m with a season, 2 without.</summary>
        public int StateLength => 2 + (Seasonality == TimeSeriesSeasonality.None ? 0 : Period);

        /// <summary>Equal when every parameter is and the initial states hold the same values (or both are absent).</summary>
        public bool Equals(Parameters? other) =>
            other is not null && (Alpha, Beta, Gamma, Phi, Trend, Seasonality, Period, Start) ==
                (other.Alpha, other.Beta, other.Gamma, other.Phi, other.Trend, other.Seasonality, other.Period, other.Start)
            && (InitialState is null ? other.InitialState is null : other.InitialState is not null && InitialState.AsSpan().SequenceEqual(other.InitialState));

        /// <summary>A hash of the parameters (the initial state's length stands for it).</summary>
        public override int GetHashCode() =>
            HashCode.Combine(Alpha, Beta, Gamma, Phi, Trend, Seasonality, Period, HashCode.Combine(Start, InitialState?.Length ?? -1));

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
    /// Needs 2m values with a season, 2 without. A <see cref="TimeSeriesStart.Fitted"/> start returns the state stored in
    /// <see cref="Parameters.InitialState"/> and reads no value.
    /// </summary>
    public static TimeSeriesHoltWinters Initial(Parameters parameters, ReadOnlySpan<double> y)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        if (parameters.Start == TimeSeriesStart.Fitted)
        {
            double[] state = parameters.InitialState
                ?? throw new ArgumentException("a fitted start needs its initial state.", nameof(parameters));
            if (state.Length != parameters.StateLength)
                throw new ArgumentException($"the initial state holds {state.Length} values, {parameters.StateLength} expected.", nameof(parameters));
            return new TimeSeriesHoltWinters(parameters, state[0], state[1], state.AsSpan(2));
        }
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
    /// Fits Holt-Winters to <paramref name="train"/> with season <paramref name="period"/> (1 = none), as R's
    /// <c>ets</c> does for additive errors: for every structure that applies (trend none or damped; season none,
    /// additive, or multiplicative when every value is positive; a season needs three full periods), the smoothing
    /// parameters θ = (α, β, γ, φ) and the initial state x₀ = (ℓ₀, b₀, s₀ … s_{m−1}) jointly minimise the one-step
    /// squared error SSE = Σ_t (y_t − ŷ_t)² over all of <paramref name="train"/>, the season factors of x₀ held to
    /// Σ s_i = 0 (additive) or m (multiplicative). θ lives on a logistic reparametrisation (0 &lt; α, β, γ &lt; 1,
    /// γ ≤ 1 − α, φ in [<see cref="MinPhi"/>, <see cref="MaxPhi"/>]). The search starts from θ fitted by Nelder-Mead
    /// from the heuristic two-season start (<see cref="Initial"/>), then alternates Gauss-Newton steps on x₀
    /// (<see cref="FitState"/>) with Nelder-Mead on θ, each step accepted only when it lowers the SSE, until a round
    /// gains less than 10⁻⁶ of it; so the fit is never worse than the heuristic start's. A season longer than
    /// <see cref="MaxFittedPeriod"/> keeps the heuristic start (<see cref="TimeSeriesStart.TwoSeasons"/>) with θ
    /// fitted from it; its AICc counts the states all the same. The structure with the lowest
    /// AICc = n·ln(SSE/n) + 2k + 2k(k + 1)/(n − k − 1) is returned, where k counts the smoothing parameters, the free
    /// initial states (ℓ₀, b₀ with a trend, m − 1 season factors) and the error variance, as R's <c>ets</c> counts
    /// them (structures with n ≤ k + 1 are left out unless none is left, then the AIC n·ln(SSE/n) + 2k decides). The
    /// model returned carries <see cref="TimeSeriesStart.Fitted"/> and its initial state (or the two-season start), and
    /// has not yet been fed any value.
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
        int n = y.Length;
        Parameters? best = null, bestByAic = null;
        double bestAicc = double.PositiveInfinity, bestAic = double.PositiveInfinity;
        foreach (var seasonality in seasonalities)
        {
            foreach (var trend in new[] { TimeSeriesTrend.None, TimeSeriesTrend.Damped })
            {
                bool fitStart = seasonality == TimeSeriesSeasonality.None || period <= MaxFittedPeriod;
                var (parameters, sse) = FitStructure(y, trend, seasonality, period, fitStart);
                int k = ParameterCount(trend, seasonality, period);
                double aic = n * Math.Log(Math.Max(sse, double.Epsilon) / n) + 2 * k;
                double aicc = n - k - 1 > 0 ? aic + 2.0 * k * (k + 1) / (n - k - 1) : double.PositiveInfinity;
                if (aicc < bestAicc)
                    (bestAicc, best) = (aicc, parameters);
                if (aic < bestAic)
                    (bestAic, bestByAic) = (aic, parameters);
            }
        }
        return Initial(best ?? bestByAic!, y);
    }

    /// <summary>
    /// k of <see cref="Fit"/>'s AICc: α; β and φ with a trend; γ with a season; the initial level, trend (with a
    /// trend) and m − 1 season factors (the last follows from the sum); and the error variance.
    /// </summary>
    internal static int ParameterCount(TimeSeriesTrend trend, TimeSeriesSeasonality seasonality, int period)
    {
        bool damped = trend == TimeSeriesTrend.Damped;
        bool seasonal = seasonality != TimeSeriesSeasonality.None;
        int smoothing = 1 + (damped ? 2 : 0) + (seasonal ? 1 : 0);
        int states = 1 + (damped ? 1 : 0) + (seasonal ? period - 1 : 0);
        return smoothing + states + 1;
    }

    /// <summary>Sum of squared one-step errors of <paramref name="parameters"/> over <paramref name="y"/> from its start (<see cref="Initial"/>).</summary>
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

    /// <summary>The model's current state [ℓ, b, s…] (the season factors oldest first, i.e. the next value's first), as <see cref="Parameters.InitialState"/> holds it.</summary>
    public double[] State()
    {
        int m = Model.Seasonality == TimeSeriesSeasonality.None ? 0 : Period;
        var state = new double[2 + m];
        state[0] = Level;
        state[1] = Trend;
        for (int i = 0; i < m; i++)
            state[2 + i] = season[(int)((count + i) % Period)];
        return state;
    }

    /// <summary>
    /// One structure of <see cref="Fit"/>: θ by Nelder-Mead from the heuristic start and, with
    /// <paramref name="fitStart"/>, then rounds of <see cref="FitState"/> on x₀ and Nelder-Mead on θ (x₀ held). Returns
    /// the parameters and their SSE over <paramref name="y"/>.
    /// </summary>
    internal static (Parameters Parameters, double Sse) FitStructure(double[] y, TimeSeriesTrend trend, TimeSeriesSeasonality seasonality,
        int period, bool fitStart)
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
        if (!fitStart)
            return (Decode(u), sse);
        double[] state = Initial(Decode(u), y).State();
        for (int round = 0; round < MaxStartRounds; round++)
        {
            (state, double stateSse) = FitState(Decode(u), y, state);
            double[] held = state;
            (u, double thetaSse) = NelderMead(u, v => OneStepSse(Decode(v) with { Start = TimeSeriesStart.Fitted, InitialState = held }, y), iterations: 300);
            double gain = sse - thetaSse;
            sse = Math.Min(thetaSse, stateSse);
            if (gain <= 1e-6 * sse)
                break;
        }
        return (Decode(u) with { Start = TimeSeriesStart.Fitted, InitialState = state }, sse);
    }

    /// <summary>Rounds of (x₀, θ) in <see cref="FitStructure"/> at most.</summary>
    private const int MaxStartRounds = 8;

    /// <summary>
    /// The initial state x₀ = [ℓ₀, b₀, s₀ … s_{m−1}] that minimises the one-step SSE of <paramref name="parameters"/>'
    /// α, β, γ, φ over <paramref name="y"/>, by Gauss-Newton from <paramref name="state"/>: the free coordinates are ℓ₀,
    /// b₀ (with a trend) and s₀ … s_{m−2}, s_{m−1} following so that Σ s_i stays as it was (0 additive, m
    /// multiplicative, for the heuristic start). The Jacobian J of the errors e = y − ŷ is taken by forward
    /// differences; the step Δ solves (JᵀJ + λI)Δ = −Jᵀe (λ = 10⁻¹⁰·max diag) and is halved until the SSE drops
    /// (multiplicative factors must stay positive); without a drop the state is kept. With an additive or no season
    /// the errors are affine in x₀, so the first step is the exact least-squares state. Returns the state and its SSE,
    /// never above <paramref name="state"/>'s.
    /// </summary>
    internal static (double[] State, double Sse) FitState(Parameters parameters, ReadOnlySpan<double> y, double[] state)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        ArgumentNullException.ThrowIfNull(state);
        var p = parameters with { Start = TimeSeriesStart.Fitted, InitialState = null };
        if (state.Length != p.StateLength)
            throw new ArgumentException($"the state holds {state.Length} values, {p.StateLength} expected.", nameof(state));
        bool multiplicative = p.Seasonality == TimeSeriesSeasonality.Multiplicative;
        int m = p.Seasonality == TimeSeriesSeasonality.None ? 0 : p.Period;
        var coordinates = new List<int> { 0 };
        if (p.Trend == TimeSeriesTrend.Damped)
            coordinates.Add(1);
        for (int i = 0; i < m - 1; i++)
            coordinates.Add(2 + i);
        int d = coordinates.Count, n = y.Length, last = 2 + m - 1;
        double scale = 0;
        foreach (double v in y)
            scale += Math.Abs(v) / n;
        scale = Math.Max(scale, 1e-12);
        var errors = new double[n];           // [n] one-step errors e at the current state
        var shifted = new double[n];          // [n] errors at a moved state
        var jacobian = new double[n * d];     // [n, d] ∂e_t/∂x_k over the free coordinates
        var normal = new double[d * d];       // [d, d] JᵀJ, lower triangle
        var gradient = new double[d];         // [d] Jᵀe
        var trial = new double[state.Length]; // [2 + m] a candidate state
        double[] current = (double[])state.Clone();
        double sse = Errors(p, current, y, errors);
        int iterations = multiplicative ? 6 : 2;
        for (int iteration = 0; iteration < iterations && double.IsFinite(sse); iteration++)
        {
            for (int k = 0; k < d; k++)
            {
                int c = coordinates[k];
                double step = c >= 2 && multiplicative ? 1e-6 : 1e-6 * (Math.Abs(current[c]) + scale);
                current.CopyTo(trial, 0);
                trial[c] += step;
                if (c >= 2)
                    trial[last] -= step;
                Errors(p, trial, y, shifted);
                for (int t = 0; t < n; t++)
                    jacobian[t * d + k] = (shifted[t] - errors[t]) / step;
            }
            Array.Clear(normal);
            Array.Clear(gradient);
            for (int t = 0; t < n; t++)
            {
                ReadOnlySpan<double> row = jacobian.AsSpan(t * d, d);
                for (int a = 0; a < d; a++)
                {
                    gradient[a] += row[a] * errors[t];
                    for (int b = 0; b <= a; b++)
                        normal[a * d + b] += row[a] * row[b];
                }
            }
            double[]? delta = SolveNormal(normal, gradient, d);
            if (delta is null)
                break;
            double factor = 1, trialSse = double.PositiveInfinity;
            for (int halving = 0; halving < 30; halving++, factor *= 0.5)
            {
                current.CopyTo(trial, 0);
                for (int k = 0; k < d; k++)
                {
                    trial[coordinates[k]] -= factor * delta[k];
                    if (coordinates[k] >= 2)
                        trial[last] += factor * delta[k];
                }
                bool valid = true;
                for (int i = 2; i < trial.Length && multiplicative; i++)
                    valid &= trial[i] > 0;
                trialSse = valid ? Errors(p, trial, y, shifted) : double.PositiveInfinity;
                if (trialSse < sse)
                    break;
            }
            if (!(trialSse < sse))
                break;
            double gain = sse - trialSse;
            (current, trial) = (trial, current);
            (errors, shifted) = (shifted, errors);
            sse = trialSse;
            if (gain <= 1e-12 * sse)
                break;
        }
        return (current, sse);
    }

    /// <summary>Fills <paramref name="errors"/> with the one-step errors of <paramref name="p"/> started in <paramref name="state"/>; returns their SSE (∞ if not finite).</summary>
    private static double Errors(Parameters p, double[] state, ReadOnlySpan<double> y, double[] errors)
    {
        var model = new TimeSeriesHoltWinters(p, state[0], state[1], state.AsSpan(2));
        double sse = 0;
        for (int t = 0; t < y.Length; t++)
        {
            double e = model.Update(y[t]);
            errors[t] = e;
            sse += e * e;
        }
        return double.IsFinite(sse) ? sse : double.PositiveInfinity;
    }

    /// <summary>Solves (A + λI)x = g for the symmetric A (lower triangle filled) by Cholesky; null when it fails.</summary>
    private static double[]? SolveNormal(double[] a, double[] g, int d)
    {
        double largest = 0;
        for (int i = 0; i < d; i++)
            largest = Math.Max(largest, a[i * d + i]);
        if (!(largest > 0) || !double.IsFinite(largest))
            return null;
        double ridge = 1e-10 * largest;
        var l = new double[d * d];
        for (int i = 0; i < d; i++)
        {
            for (int j = 0; j <= i; j++)
            {
                double sum = a[i * d + j] + (i == j ? ridge : 0);
                for (int k = 0; k < j; k++)
                    sum -= l[i * d + k] * l[j * d + k];
                if (i == j)
                {
                    if (!(sum > 0))
                        return null;
                    l[i * d + i] = Math.Sqrt(sum);
                }
                else
                {
                    l[i * d + j] = sum / l[j * d + j];
                }
            }
        }
        var x = new double[d];
        for (int i = 0; i < d; i++)
        {
            double sum = g[i];
            for (int k = 0; k < i; k++)
                sum -= l[i * d + k] * x[k];
            x[i] = sum / l[i * d + i];
        }
        for (int i = d - 1; i >= 0; i--)
        {
            double sum = x[i];
            for (int k = i + 1; k < d; k++)
                sum -= l[k * d + i] * x[k];
            x[i] = sum / l[i * d + i];
        }
        return x;
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
