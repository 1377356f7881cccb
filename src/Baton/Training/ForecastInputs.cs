using Baton.Data;
using Baton.Models;

namespace Baton.Training;

/// <summary>
/// Turns raw rows, fed one at a time, into the network input of the forecast made at the latest row, and the
/// network's output back into forecasts, as <see cref="ForecastScheme"/> describes. Training, batch prediction and
/// streaming all go through this one class, so they agree exactly. Keeps the last W + 2·(longest lag or base season) rows
/// in a ring and the smoothing state of each target; no allocation per row.
/// </summary>
internal sealed class ForecastInputs
{
    private readonly ModelConfig config;
    private readonly ForecastScheme scheme;
    private readonly int C;             // raw columns (targets first)
    private readonly int J;             // targets
    private readonly int K;             // horizon
    private readonly int W;             // window
    private readonly int capacity;      // rows kept
    private readonly double[] ring;     // [capacity, C] raw rows, row r at slot r % capacity
    private readonly TimeSeriesHoltWinters?[] ets;   // [J], null until started
    private readonly double[] pending;  // [startRows, J] first rows, before the smoothing can start (none for a fitted start)
    private readonly int startRows;     // rows the smoothing needs to start
    private readonly double[] center;   // [J] level (window) or mean (global) of the current origin
    private readonly double[] baseline; // [K, J] base forecast of the current origin

    public ForecastInputs(ModelConfig config, ForecastScheme scheme)
    {
        this.config = config;
        this.scheme = scheme;
        J = config.Targets.Length;
        C = scheme.Columns.Length > 0 ? scheme.Columns.Length : config.InputSize;
        K = config.Horizon;
        W = config.Window;
        Steps = scheme.HasFutureSteps ? W + K : W;
        InputSize = scheme.InputSize(J, C);
        if (InputSize != config.InputSize)
            throw new ArgumentException($"the scheme needs {InputSize} inputs per step, the model reads {config.InputSize}.", nameof(scheme));
        if (scheme.UsesSmoothing && scheme.Ets.Length != J)
            throw new ArgumentException($"the scheme has {scheme.Ets.Length} smoothing models for {J} targets.", nameof(scheme));
        if (scheme.UsesSeasonalNaive && scheme.BaseSeason < 1)
            throw new ArgumentException($"the scheme's seasonal-naive base has season {scheme.BaseSeason}.", nameof(scheme));
        int longest = Math.Max(scheme.LagSeasons.DefaultIfEmpty(0).Max(), scheme.BaseSeason);
        capacity = W + 2 * longest + K + 1;
        ring = new double[capacity * C];
        ets = new TimeSeriesHoltWinters?[J];
        startRows = scheme.UsesSmoothing ? scheme.Ets.Max(p => p.StartRows) : 0;
        pending = new double[startRows * J];
        if (scheme.UsesSmoothing && startRows == 0)
        {
            for (int j = 0; j < J; j++)
                ets[j] = TimeSeriesHoltWinters.Initial(scheme.Ets[j], []);
        }
        center = new double[J];
        baseline = new double[K * J];
        FirstOrigin = scheme.FirstOrigin(W);
    }

    /// <summary>Steps T of the network's input sequence.</summary>
    public int Steps { get; }

    /// <summary>Inputs I per step.</summary>
    public int InputSize { get; }

    /// <summary>The first row at which a forecast can be made.</summary>
    public int FirstOrigin { get; }

    /// <summary>Bytes of the arrays this holds: the row ring, the smoothing state and its start rows, the level and base forecast.</summary>
    public long HeldBytes => 8L * (ring.Length + pending.Length + center.Length + baseline.Length) + ets.Sum(m => (long)(m?.StateBytes ?? 0));

    /// <summary>Rows fed so far.</summary>
    public long Rows { get; private set; }

    /// <summary>True once the latest row can be a forecast origin.</summary>
    public bool Ready => Rows > FirstOrigin;

    /// <summary>Base forecast [K, J] of the current origin, in the targets' units.</summary>
    public ReadOnlySpan<double> Baseline => baseline;

    /// <summary>Feeds raw row <paramref name="row"/> [C] (targets first) and prepares the origin it makes.</summary>
    public void Append(ReadOnlySpan<double> row) => Feed(row, prepare: true);

    /// <summary>
    /// The smoothing state after the rows fed so far (null where a target's smoothing has not started, and the rows kept
    /// for its start while it has not), for <see cref="Rewind"/>.
    /// </summary>
    public sealed record Snapshot(long Rows, TimeSeriesHoltWinters?[] Smoothing, double[]? Pending);

    /// <summary>Saves the state of the smoothing after the rows fed so far (nothing to save without smoothing).</summary>
    public Snapshot Save() => new(Rows,
        [.. ets.Select(model => model?.Clone())],
        scheme.UsesSmoothing && Rows < startRows ? (double[])pending.Clone() : null);

    /// <summary>
    /// Puts this instance in the state it had after the first <paramref name="snapshot"/>.Rows rows of <paramref name="rows"/>
    /// [n, C] (targets first) were appended, given the <paramref name="snapshot"/> saved then, and appends rows from there up to
    /// and including row <paramref name="origin"/>, so that the current origin is <paramref name="origin"/>; the state is then
    /// exactly that of appending rows 0 .. <paramref name="origin"/> one by one. Without smoothing the snapshot may be of any
    /// earlier row (only its row count is read).
    /// </summary>
    public void Rewind(ReadOnlySpan<double> rows, Snapshot snapshot, long origin)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        long from = scheme.UsesSmoothing ? snapshot.Rows : origin;
        if (from > origin || (origin + 1) * C > rows.Length)
            throw new ArgumentOutOfRangeException(nameof(origin), $"origin {origin} is before the snapshot's row {from} or past the rows.");
        Array.Clear(ring);
        for (long r = Math.Max(0, from - capacity); r < from; r++)
            rows.Slice((int)r * C, C).CopyTo(ring.AsSpan((int)(r % capacity) * C, C));
        if (scheme.UsesSmoothing)
        {
            for (int j = 0; j < J; j++)
            {
                var saved = snapshot.Smoothing[j];
                if (saved is null)
                    ets[j] = null;
                else if (ets[j] is { } model)
                    model.CopyStateFrom(saved);
                else
                    ets[j] = saved.Clone();
            }
            if (snapshot.Pending is not null)
                snapshot.Pending.CopyTo(pending, 0);
        }
        Rows = from;
        for (long r = from; r <= origin; r++)
            Feed(rows.Slice((int)r * C, C), prepare: r == origin);
    }

    private void Feed(ReadOnlySpan<double> row, bool prepare)
    {
        row[..C].CopyTo(ring.AsSpan((int)(Rows % capacity) * C, C));
        if (scheme.UsesSmoothing)
            AdvanceSmoothing(row);
        Rows++;
        if (prepare && Ready)
            PrepareOrigin();
    }

    /// <summary>Writes the input [T, I] of the current origin as batch item <paramref name="b"/> of <paramref name="B"/> into <paramref name="x"/> [T, B, I].</summary>
    public void Write(Span<float> x, int b, int B)
    {
        long t = Rows - 1;
        int I = InputSize;
        var mean = config.FeatureMean;
        var std = config.FeatureStd;
        for (int step = 0; step < Steps; step++)
        {
            Span<float> cell = x.Slice((step * B + b) * I, I);
            long r = t - W + 1 + step;           // the row this step stands for (future steps: r > t)
            bool future = r > t;
            int i = 0;
            for (int c = 0; c < C; c++, i++)
            {
                if (future)
                    cell[i] = 0;
                else if (c < J)
                    cell[i] = Normalise(Raw(r, c), c);
                else
                    cell[i] = ForecastScaling.Scale(Raw(r, c), mean[c], std[c]);
            }
            if (!scheme.HasFutureSteps)
                continue;
            for (int j = 0; j < J; j++)
            {
                foreach (int m in scheme.LagSeasons)
                {
                    for (int k = 1; k <= 2; k++)
                        cell[i++] = Normalise(Raw(Behind(r, k * m, m), j), j);
                }
            }
            if (scheme.Base != ForecastBase.None)
            {
                for (int j = 0; j < J; j++)
                    cell[i++] = future ? Normalise(baseline[(int)(r - t - 1) * J + j], j) : 0;
            }
            cell[i] = future ? 1 : 0;
        }
    }

    /// <summary>The training label [K, J] of the current origin from the actual values <paramref name="future"/> [K, J].</summary>
    public void Label(ReadOnlySpan<double> future, Span<float> label)
    {
        var std = config.TargetStd;
        for (int h = 0; h < K; h++)
        {
            for (int j = 0; j < J; j++)
                label[h * J + j] = (float)((future[h * J + j] - baseline[h * J + j]) / std[j]);
        }
    }

    /// <summary>The forecast [K, J] of an origin whose base forecast was <paramref name="origin"/>: base + blend · (output · std).</summary>
    public void Restore(ReadOnlySpan<float> output, ReadOnlySpan<double> origin, Span<double> forecast, double blend)
    {
        var std = config.TargetStd;
        for (int i = 0; i < K * J; i++)
            forecast[i] = origin[i] + blend * ((double)output[i] * std[i % J]);
    }

    private float Normalise(double value, int j) => (float)((value - center[j]) / config.TargetStd[j]);

    private double Raw(long r, int c) => ring[(int)(r % capacity) * C + c];

    /// <summary>Row r − back, or (early in the series) the earliest row of the same phase of season m.</summary>
    private static long Behind(long r, int back, int m)
    {
        long index = r - back;
        while (index < 0)
            index += m;
        return Math.Min(index, r);
    }

    private void PrepareOrigin()
    {
        long t = Rows - 1;
        for (int j = 0; j < J; j++)
        {
            if (scheme.Normalisation == ForecastNormalisation.Global)
            {
                center[j] = config.TargetMean[j];
                continue;
            }
            int L = Math.Min(scheme.LevelRows, W);
            double sum = 0;
            for (long r = t - L + 1; r <= t; r++)
                sum += Raw(r, j);
            center[j] = sum / L;
        }
        int m = scheme.BaseSeason;
        for (int h = 1; h <= K; h++)
        {
            for (int j = 0; j < J; j++)
            {
                baseline[(h - 1) * J + j] = scheme.Base switch
                {
                    ForecastBase.Ets => ets[j]!.Forecast(h),
                    ForecastBase.SeasonalNaive => Raw(t + h - m * ((h + m - 1) / m), j),
                    ForecastBase.Combined => 0.5 * (ets[j]!.Forecast(h) + Raw(t + h - m * ((h + m - 1) / m), j)),
                    _ => center[j],
                };
            }
        }
    }

    private void AdvanceSmoothing(ReadOnlySpan<double> row)
    {
        if (Rows < startRows)
        {
            for (int j = 0; j < J; j++)
                pending[(int)Rows * J + j] = row[j];
            if (Rows + 1 < startRows)
                return;
            for (int j = 0; j < J; j++)
            {
                var values = new double[startRows];
                for (int r = 0; r < startRows; r++)
                    values[r] = pending[r * J + j];
                var model = TimeSeriesHoltWinters.Initial(scheme.Ets[j], values);
                foreach (double v in values)
                    model.Update(v);
                ets[j] = model;
            }
            return;
        }
        for (int j = 0; j < J; j++)
            ets[j]!.Update(row[j]);
    }
}
