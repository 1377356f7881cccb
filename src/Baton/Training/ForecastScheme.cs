using System.Globalization;
using System.Text.Json.Nodes;
using Baton.Data;

namespace Baton.Training;

/// <summary>
/// How a forecaster turns raw rows into the network's input and its output back into forecasts: the
/// normalisation, the seasonal-lag inputs, the classical base it corrects and the weight of that correction.
/// Stored in the model file's metadata (<see cref="MetadataKey"/>) so that prediction repeats it exactly.
/// <para>
/// Input sequence for the forecast made at origin t (row t observed), [T, I] with T = W + K when
/// <see cref="LagSeasons"/> or a base is used (else W): rows t−W+1 .. t carry the normalised targets and the
/// standardised features; then K "future" steps, one per forecast step h, carry zero there. Every step also carries,
/// for each target and each lag season m, the value one and two seasons before that step's row
/// (y[r − m], y[r − 2m], normalised like the targets), the base forecast for the future steps (normalised), and a
/// flag that is 1 on the future steps.
/// </para>
/// </summary>
internal sealed record ForecastScheme
{
    /// <summary>Model-file metadata key holding the scheme as JSON.</summary>
    public const string MetadataKey = "baton.forecast.scheme";

    /// <summary>The legacy scheme: global standardisation, no lags, no base.</summary>
    public static ForecastScheme Legacy { get; } = new();

    /// <summary>How targets are normalised.</summary>
    public ForecastNormalisation Normalisation { get; init; } = ForecastNormalisation.Global;

    /// <summary>Seasons whose lags (one and two seasons back) are inputs; empty for none.</summary>
    public int[] LagSeasons { get; init; } = [];

    /// <summary>Rows averaged for the window's level (<see cref="ForecastNormalisation.Window"/>): the primary season, at most W.</summary>
    public int LevelRows { get; init; } = 1;

    /// <summary>The base the network corrects.</summary>
    public ForecastBase Base { get; init; } = ForecastBase.None;

    /// <summary>Holt-Winters parameters per target (<see cref="ForecastBase.Ets"/>, <see cref="ForecastBase.Combined"/>); empty otherwise.</summary>
    public TimeSeriesHoltWinters.Parameters[] Ets { get; init; } = [];

    /// <summary>Season m of the seasonal-naive base (<see cref="ForecastBase.SeasonalNaive"/>, <see cref="ForecastBase.Combined"/>); 0 otherwise.</summary>
    public int BaseSeason { get; init; }

    /// <summary>True when the base runs the Holt-Winters smoothing.</summary>
    public bool UsesSmoothing => Base is ForecastBase.Ets or ForecastBase.Combined;

    /// <summary>True when the base reads the seasonal naive of <see cref="BaseSeason"/>.</summary>
    public bool UsesSeasonalNaive => Base is ForecastBase.SeasonalNaive or ForecastBase.Combined;

    /// <summary>Weight of the network's correction added to the base (1 without a base).</summary>
    public double Blend { get; init; } = 1;

    /// <summary>Raw input columns read from the CSV: the targets, then the features.</summary>
    public string[] Columns { get; init; } = [];

    /// <summary>True when the input has the K future steps (lags or a base).</summary>
    public bool HasFutureSteps => LagSeasons.Length > 0 || Base != ForecastBase.None;

    /// <summary>Network inputs per step for <paramref name="targets"/> targets and <paramref name="columns"/> raw columns.</summary>
    public int InputSize(int targets, int columns) =>
        columns + (HasFutureSteps ? targets * 2 * LagSeasons.Length + (Base != ForecastBase.None ? targets : 0) + 1 : 0);

    /// <summary>
    /// The first origin with everything the scheme reads: W rows of window, two seasons of lags behind the first
    /// future step's row, and two seasons to start the smoothing.
    /// </summary>
    public int FirstOrigin(int window)
    {
        int first = window - 1;
        foreach (int m in LagSeasons)
            first = Math.Max(first, 2 * m - 1);
        foreach (var p in Ets)
            first = Math.Max(first, 2 * Math.Max(1, p.Period) - 1);
        return first;
    }

    /// <summary>The scheme as a JSON string.</summary>
    public string ToJson()
    {
        var json = new JsonObject
        {
            ["normalisation"] = Normalisation.ToString().ToLowerInvariant(),
            ["lag_seasons"] = new JsonArray([.. LagSeasons.Select(m => (JsonNode)m)]),
            ["level_rows"] = LevelRows,
            ["base"] = Base.ToString().ToLowerInvariant(),
            ["ets"] = new JsonArray([.. Ets.Select(p =>
            {
                var entry = new JsonObject
                {
                    ["alpha"] = p.Alpha, ["beta"] = p.Beta, ["gamma"] = p.Gamma, ["phi"] = p.Phi,
                    ["trend"] = p.Trend.ToString().ToLowerInvariant(), ["seasonality"] = p.Seasonality.ToString().ToLowerInvariant(),
                    ["period"] = p.Period,
                    ["start"] = p.Start.ToString().ToLowerInvariant(),
                };
                if (p.InitialState is double[] state)
                    entry["initial_state"] = new JsonArray([.. state.Select(v => (JsonNode)v)]);
                return (JsonNode)entry;
            })]),
            ["base_season"] = BaseSeason,
            ["blend"] = Blend,
            ["columns"] = new JsonArray([.. Columns.Select(c => (JsonNode)c)]),
        };
        return json.ToJsonString();
    }

    /// <summary>Reads <see cref="ToJson"/>'s text; anything malformed is an <see cref="InvalidDataException"/> naming the field.</summary>
    public static ForecastScheme FromJson(string text)
    {
        JsonObject json;
        try
        {
            json = JsonNode.Parse(text) as JsonObject ?? throw new InvalidDataException("the forecast scheme is not a JSON object.");
            var scheme = new ForecastScheme
            {
                Normalisation = Enum.Parse<ForecastNormalisation>((string)json["normalisation"]!, ignoreCase: true),
                LagSeasons = [.. json["lag_seasons"]!.AsArray().Select(n => (int)n!)],
                LevelRows = (int)json["level_rows"]!,
                Base = Enum.Parse<ForecastBase>((string)json["base"]!, ignoreCase: true),
                Ets = [.. json["ets"]!.AsArray().Select(n => new TimeSeriesHoltWinters.Parameters(
                    (double)n!["alpha"]!, (double)n["beta"]!, (double)n["gamma"]!, (double)n["phi"]!,
                    Enum.Parse<TimeSeriesTrend>((string)n["trend"]!, ignoreCase: true),
                    Enum.Parse<TimeSeriesSeasonality>((string)n["seasonality"]!, ignoreCase: true), (int)n["period"]!,
                    n["start"] is JsonNode start ? Enum.Parse<TimeSeriesStart>((string)start!, ignoreCase: true) : TimeSeriesStart.FirstSeason,
                    n["initial_state"] is JsonArray state ? [.. state.Select(v => (double)v!)] : null))],
                BaseSeason = json["base_season"] is JsonNode baseSeason ? (int)baseSeason : 0,
                Blend = (double)json["blend"]!,
                Columns = [.. json["columns"]!.AsArray().Select(n => (string)n!)],
            };
            if (scheme.LevelRows < 1 || scheme.LagSeasons.Any(m => m < 1 || m > 100_000) || !double.IsFinite(scheme.Blend)
                || scheme.Ets.Any(p => p.Period < 1 || p.Period > 100_000 || !(p.Alpha is > 0 and < 1)
                    || (p.Start == TimeSeriesStart.Fitted && (p.InitialState?.Length != p.StateLength || p.InitialState.Any(v => !double.IsFinite(v))))))
                throw new InvalidDataException($"the forecast scheme holds a value out of range: {text}");
            if (scheme.UsesSmoothing && scheme.Ets.Length == 0)
                throw new InvalidDataException($"the forecast scheme has base '{scheme.Base.ToString().ToLowerInvariant()}' without its smoothing parameters.");
            if (scheme.BaseSeason < 0 || scheme.BaseSeason > 100_000 || (scheme.UsesSeasonalNaive && scheme.BaseSeason < 1))
                throw new InvalidDataException($"the forecast scheme has base '{scheme.Base.ToString().ToLowerInvariant()}' with season {scheme.BaseSeason}.");
            return scheme;
        }
        catch (Exception e) when (e is System.Text.Json.JsonException or InvalidOperationException or ArgumentException or FormatException or NullReferenceException)
        {
            throw new InvalidDataException($"the forecast scheme in the model file is malformed ({e.Message.ReplaceLineEndings(" ")}).");
        }
    }

    /// <summary>Words for a report line: "window level (12 rows); seasonal lags 12; base ETS(A,Ad,M) m=12, network weight 0.5".</summary>
    public string Describe()
    {
        var parts = new List<string> { Normalisation == ForecastNormalisation.Window ? $"window level ({LevelRows} rows)" : "global scaling" };
        if (LagSeasons.Length > 0)
            parts.Add($"seasonal lags {string.Join(", ", LagSeasons)}");
        if (Base != ForecastBase.None)
            parts.Add($"base {DescribeBase()}, network weight {Blend.ToString("0.##", CultureInfo.InvariantCulture)}");
        return string.Join("; ", parts);
    }

    /// <summary>The base in words: "ETS(A,N,M) m=12", "seasonal naive 12" or "mean of ETS(A,N,M) m=12 and seasonal naive 12".</summary>
    public string DescribeBase() => Base switch
    {
        ForecastBase.Ets => string.Join(" / ", Ets.Select(p => p.ToString())),
        ForecastBase.SeasonalNaive => $"seasonal naive {BaseSeason}",
        ForecastBase.Combined => $"mean of {string.Join(" / ", Ets.Select(p => p.ToString()))} and seasonal naive {BaseSeason}",
        _ => "none",
    };
}
