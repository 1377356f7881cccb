using Baton.Data;
using Baton.Models;
using Baton.Numerics;
using Baton.Training;

namespace Baton.Tests.Forecast;

public sealed class ForecastSchemeTests
{
    /// <summary>Inputs and labels are float32; a round trip through them keeps about 7 digits.</summary>
    private const double FloatTolerance = 1e-5;

    /// <summary>Streaming runs each window with batch 1, batch prediction with up to 64: float rounding apart.</summary>
    private const double StreamTolerance = 1e-5;

    private static readonly ForecastOptions Tiny = new() { Hidden = 8, Steps = 12, BatchSize = 16, EvalEvery = 4, Seed = 3 };

    private static TimeSeriesFrame Monthly(int rows = 120)
    {
        double[] y = [.. Enumerable.Range(0, rows).Select(t => 100 + 2.0 * t + 15 * Math.Sin(2 * Math.PI * t / 12) + 3 * Math.Sin(0.9 * t))];
        string[] times = [.. Enumerable.Range(0, rows).Select(t => new DateTime(2000, 1, 1).AddMonths(t).ToString("yyyy-MM-dd"))];
        return new TimeSeriesFrame(["y"], [y], times, "date");
    }

    private static ForecastScheme Scheme(ForecastBase baseKind, TimeSeriesFrame frame, int trainEnd) => new()
    {
        Normalisation = ForecastNormalisation.Window,
        LagSeasons = [12],
        LevelRows = 12,
        Base = baseKind,
        Ets = baseKind is ForecastBase.Ets or ForecastBase.Combined ? [TimeSeriesHoltWinters.Fit(frame.Column("y").AsSpan(0, trainEnd), 12).Model] : [],
        BaseSeason = baseKind is ForecastBase.SeasonalNaive or ForecastBase.Combined ? 12 : 0,
    };

    [Fact]
    public void Window_normalisation_centres_on_the_last_season_and_the_output_restores_the_label_exactly()
    {
        var frame = Monthly();
        var data = new ForecastData(frame, ["y"], [], window: 24, horizon: 6, Scheme(ForecastBase.None, frame, 84), testRows: 0);
        double[] y = frame.Column("y");
        const int Origin = 40;
        var example = data.Example(Origin);
        int I = data.Inputs.Length;   // y, y@lag12, y@lag24, @future
        Assert.Equal(4, I);
        double level = y.Skip(Origin - 11).Take(12).Average();
        double std = data.Scaler.Std[0];
        // Step 23 is the origin's row; step 24 + h − 1 the future step h.
        Assert.InRange(example.Features![23 * I], (float)((y[Origin] - level) / std) - FloatTolerance, (float)((y[Origin] - level) / std) + FloatTolerance);
        for (int h = 1; h <= 6; h++)
        {
            Assert.InRange(example.Target![h - 1], (y[Origin + h] - level) / std - FloatTolerance, (y[Origin + h] - level) / std + FloatTolerance);
            var future = example.Features.AsSpan((23 + h) * I, I);
            Assert.Equal(0f, future[0]);
            Assert.InRange(future[1], (y[Origin + h - 12] - level) / std - FloatTolerance, (y[Origin + h - 12] - level) / std + FloatTolerance);
            Assert.InRange(future[2], (y[Origin + h - 24] - level) / std - FloatTolerance, (y[Origin + h - 24] - level) / std + FloatTolerance);
            Assert.Equal(1f, future[3]);
        }
        Assert.Equal(0f, example.Features[23 * I + 3]);

        // A network that outputs the label gives back the actual values.
        var config = data.ModelConfig("gru", 4, 1);
        var inputs = new ForecastInputs(config, data.Scheme);
        for (int r = 0; r <= Origin; r++)
            inputs.Append([y[r]]);
        var forecast = new double[6];
        inputs.Restore(example.Target, inputs.Baseline, forecast, blend: 1);
        for (int h = 1; h <= 6; h++)
            Assert.InRange(forecast[h - 1], y[Origin + h] - FloatTolerance * std, y[Origin + h] + FloatTolerance * std);
    }

    [Fact]
    public void The_smoothing_base_is_the_holt_winters_forecast_and_blend_zero_returns_it()
    {
        var frame = Monthly();
        var scheme = Scheme(ForecastBase.Ets, frame, 84) with { Blend = 0 };
        var data = new ForecastData(frame, ["y"], [], window: 24, horizon: 6, scheme, testRows: 0);
        var model = new SequenceModel(data.ModelConfig("gru", 6, 1));
        model.ResetParameters(new Rng(2));
        var (start, end) = data.Split.TestOrigins(6);
        double[] predicted = new ForecastPredictor(model, data.Scheme).Predict(data.Rows, start, end);
        double[] ets = ForecastEvaluation.EtsForecasts([frame.Column("y")], data.Scheme.Ets, start, end, 6);
        Assert.Equal(ets, predicted);
    }

    [Theory]
    [InlineData("Fitted")]
    [InlineData("TwoSeasons")]
    [InlineData("FirstSeason")]
    public void Every_stored_start_survives_the_json_and_forecasts_its_smoothing_from_the_first_row(string startName)
    {
        var start = Enum.Parse<TimeSeriesStart>(startName);
        var frame = Monthly();
        double[] y = frame.Column("y");
        var fitted = Scheme(ForecastBase.Ets, frame, 84) with { Blend = 0, Columns = ["y"] };
        Assert.Equal(TimeSeriesStart.Fitted, fitted.Ets[0].Start);
        var p = start == TimeSeriesStart.Fitted ? fitted.Ets[0] : fitted.Ets[0] with { Start = start, InitialState = null };
        var scheme = ForecastScheme.FromJson((fitted with { Ets = [p] }).ToJson());
        Assert.Equal(p, scheme.Ets[0]);
        var data = new ForecastData(frame, ["y"], [], window: 24, horizon: 6, scheme, testRows: 0);
        var model = new SequenceModel(data.ModelConfig("gru", 6, 1));
        model.ResetParameters(new Rng(2));
        var (first, end) = data.Split.TestOrigins(6);
        double[] predicted = new ForecastPredictor(model, data.Scheme).Predict(data.Rows, first, end);
        // The smoothing fed from row 0: a fitted start from its stored state, the others from their first 24 rows.
        var smoothing = start == TimeSeriesStart.Fitted
            ? new TimeSeriesHoltWinters(p, p.InitialState![0], p.InitialState[1], p.InitialState.AsSpan(2))
            : TimeSeriesHoltWinters.Initial(p, y.AsSpan(0, 24));
        for (int t = 0; t < end; t++)
        {
            smoothing.Update(y[t]);
            for (int h = 1; h <= 6 && t >= first; h++)
                Assert.Equal(smoothing.Forecast(h), predicted[(t - first) * 6 + h - 1]);
        }
    }

    [Theory]
    [InlineData("SeasonalNaive")]
    [InlineData("Combined")]
    public void Naive_and_combined_bases_are_their_forecasts_at_network_weight_zero(string baseName)
    {
        var baseKind = Enum.Parse<ForecastBase>(baseName);
        var frame = Monthly();
        var data = new ForecastData(frame, ["y"], [], window: 24, horizon: 6, Scheme(baseKind, frame, 84) with { Blend = 0 }, testRows: 0);
        var model = new SequenceModel(data.ModelConfig("gru", 6, 1));
        model.ResetParameters(new Rng(2));
        var (start, end) = data.Split.TestOrigins(6);
        double[] predicted = new ForecastPredictor(model, data.Scheme).Predict(data.Rows, start, end);
        double[] y = frame.Column("y");
        double[] ets = baseKind == ForecastBase.Combined ? ForecastEvaluation.EtsForecasts([y], data.Scheme.Ets, start, end, 6) : [];
        for (int t = start; t < end; t++)
        {
            for (int h = 1; h <= 6; h++)
            {
                int i = (t - start) * 6 + h - 1;
                double naive = y[t + h - 12];
                if (baseKind == ForecastBase.SeasonalNaive)
                    Assert.Equal(naive, predicted[i]);
                else
                    Assert.Equal(0.5 * (ets[i] + naive), predicted[i], 12);
            }
        }
    }

    [Theory]
    [InlineData("Ets", "lstm")]
    [InlineData("None", "gru")]
    [InlineData("Combined", "gru")]
    public void Streaming_forecasts_equal_batch_forecasts_with_window_level_lags_and_base(string baseName, string cell)
    {
        var baseKind = Enum.Parse<ForecastBase>(baseName);
        var frame = Monthly(90);
        var data = new ForecastData(frame, ["y"], [], window: 12, horizon: 4, Scheme(baseKind, frame, 60) with { Blend = 0.5 }, testRows: 0);
        var model = new SequenceModel(data.ModelConfig(cell, hidden: 6, layers: 2));
        model.ResetParameters(new Rng(7));
        var predictor = new ForecastPredictor(model, data.Scheme);
        int first = predictor.FirstOrigin, O = model.Config.OutputSize;
        Assert.Equal(23, first);   // two seasons of 12 behind the first future step
        double[] batch = predictor.Predict(data.Rows, first, frame.Length);
        var stream = new ForecastStream(model, data.Scheme);
        var forecast = new double[O];
        for (int r = 0; r < frame.Length; r++)
        {
            bool ready = stream.Push(data.Rows.Slice(r, 1), forecast);
            Assert.Equal(r >= first, ready);
            for (int i = 0; ready && i < O; i++)
            {
                double expected = batch[(r - first) * O + i];
                Assert.True(Math.Abs(forecast[i] - expected) <= StreamTolerance * Math.Max(1, Math.Abs(expected)), $"row {r}: {forecast[i]} vs {expected}");
            }
        }
    }

    [Fact]
    public void The_scheme_survives_its_json_and_training_keeps_a_blend_from_the_grid()
    {
        var frame = Monthly();
        var data = new ForecastData(frame, ["y"], [], window: 24, horizon: 6, Scheme(ForecastBase.Ets, frame, 84), testRows: 0);
        var trained = ForecastTrainer.Train(data, Tiny);
        Assert.Contains(trained.Scheme.Blend, ForecastTrainer.Blends);
        var back = ForecastScheme.FromJson(trained.Scheme.ToJson());
        Assert.Equal(trained.Scheme.ToJson(), back.ToJson());
        Assert.Equal(trained.Scheme.Ets[0], back.Ets[0]);
        Assert.Throws<InvalidDataException>(() => ForecastScheme.FromJson("{\"normalisation\": \"window\"}"));
    }

    [Fact]
    public void The_base_season_survives_the_json_and_a_file_without_it_reads_as_before()
    {
        var frame = Monthly();
        var combined = Scheme(ForecastBase.Combined, frame, 84) with { Blend = 0.25, Columns = ["y"] };
        var back = ForecastScheme.FromJson(combined.ToJson());
        Assert.Equal((ForecastBase.Combined, 12), (back.Base, back.BaseSeason));
        Assert.Equal(combined.ToJson(), back.ToJson());

        var ets = Scheme(ForecastBase.Ets, frame, 84) with { Columns = ["y"] };
        var older = System.Text.Json.Nodes.JsonNode.Parse(ets.ToJson())!.AsObject();
        Assert.True(older.Remove("base_season"));
        Assert.True(older["ets"]![0]!.AsObject().Remove("start"));
        var read = ForecastScheme.FromJson(older.ToJsonString());
        Assert.Equal(0, read.BaseSeason);
        Assert.Equal(TimeSeriesStart.FirstSeason, read.Ets[0].Start);   // files written before the start was stored

        var naive = System.Text.Json.Nodes.JsonNode.Parse((Scheme(ForecastBase.SeasonalNaive, frame, 84) with { Columns = ["y"] }).ToJson())!.AsObject();
        naive["base_season"] = 0;
        Assert.Throws<InvalidDataException>(() => ForecastScheme.FromJson(naive.ToJsonString()));
    }

    [Fact]
    public void Test_rows_hold_out_exactly_that_many_rows_after_fifteen_percent_of_validation()
    {
        var split = TimeSeriesSplit.Chronological(200, window: 24, horizon: 12, testRows: 30);
        Assert.Equal(new TimeSeriesSplit(140, 170, 200), split);
        Assert.Throws<TimeSeriesDataException>(() => TimeSeriesSplit.Chronological(200, 24, 12, testRows: 11));
        Assert.Throws<TimeSeriesDataException>(() => TimeSeriesSplit.Chronological(200, 24, 12, testRows: 150));
    }
}
