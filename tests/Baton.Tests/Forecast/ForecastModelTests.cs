using Baton.Data;
using Baton.IO;
using Baton.Models;
using Baton.Numerics;
using Baton.Training;

namespace Baton.Tests.Forecast;

public sealed class ForecastModelTests
{
    /// <summary>Streaming and batch forecasts take different GEMM shapes; they agree to float rounding.</summary>
    private const double StreamTolerance = 1e-5;

    private static readonly ForecastOptions Tiny = new() { Hidden = 8, Steps = 12, BatchSize = 16, EvalEvery = 4, Seed = 3 };

    private static ForecastData EnergyData(TimeSeriesFrame frame) =>
        new(frame, ["load"], ["temperature"], window: 12, horizon: 4);

    [Fact]
    public void Test_rows_never_touch_normalisation_or_training()
    {
        var frame = TimeSeriesGenerator.Energy(seed: 4, rows: 240);
        var split = TimeSeriesSplit.Chronological(frame.Length, 12, 4);
        var poisoned = new TimeSeriesFrame(frame.Names,
            [.. frame.Columns.Select(c => c.Select((v, r) => r >= split.ValidationEnd ? 1e6 - v : v).ToArray())], frame.Times, frame.TimeName);

        var clean = ForecastTrainer.Train(EnergyData(frame), Tiny);
        var dirty = ForecastTrainer.Train(EnergyData(poisoned), Tiny);

        Assert.Equal(clean.Model.Config.FeatureMean, dirty.Model.Config.FeatureMean);
        Assert.Equal(clean.Model.Config.FeatureStd, dirty.Model.Config.FeatureStd);
        Assert.Equal(clean.Model.Parameters.Data, dirty.Model.Parameters.Data);
        Assert.Equal(clean.ValidationLoss, dirty.ValidationLoss);
    }

    [Fact]
    public void Train_save_load_predict_gives_the_same_numbers()
    {
        var frame = TimeSeriesGenerator.Sensor(seed: 5, rows: 240);
        var data = new ForecastData(frame, ["vibration"], ["pressure"], window: 12, horizon: 4);
        var trained = ForecastTrainer.Train(data, Tiny with { Cell = "gru" });
        double[] rows = Rows(frame, data.Inputs);
        var (start, end) = data.Split.TestOrigins(4);
        double[] before = new ForecastPredictor(trained.Model).Predict(rows, start, end);

        string path = Path.Combine(Path.GetTempPath(), $"baton-forecast-{Guid.NewGuid():N}.safetensors");
        try
        {
            ModelFile.Save(trained.Model, path);
            var loaded = ModelFile.Load(path);
            Assert.Equal(trained.Model.Config.TargetMean, loaded.Config.TargetMean);
            double[] after = new ForecastPredictor(loaded, batch: 7).Predict(rows, start, end);
            Assert.Equal(before, after);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Theory]
    [InlineData("lstm", 2)]
    [InlineData("gru", 1)]
    [InlineData("rnn", 2)]
    [InlineData("mingru", 1)]
    [InlineData("minlstm", 2)]
    public void Streaming_forecasts_equal_batch_forecasts(string cell, int layers)
    {
        var frame = TimeSeriesGenerator.Energy(seed: 6, rows: 80);
        var data = EnergyData(frame);
        var model = new SequenceModel(data.ModelConfig(cell, hidden: 6, layers: layers));
        model.ResetParameters(new Rng(7));
        double[] rows = Rows(frame, data.Inputs);
        int W = data.Window, I = data.Inputs.Length, O = model.Config.OutputSize;
        double[] batch = new ForecastPredictor(model).Predict(rows, W - 1, frame.Length);

        var stream = new ForecastStream(model);
        var forecast = new double[O];
        int produced = 0;
        for (int r = 0; r < frame.Length; r++)
        {
            bool ready = stream.Push(rows.AsSpan(r * I, I), forecast);
            Assert.Equal(r >= W - 1, ready);
            if (!ready)
                continue;
            for (int i = 0; i < O; i++)
            {
                double expected = batch[(r - W + 1) * O + i];
                Assert.True(Math.Abs(forecast[i] - expected) <= StreamTolerance * Math.Max(1, Math.Abs(expected)),
                    $"row {r} output {i}: stream {forecast[i]} vs batch {expected}");
            }
            produced++;
        }
        Assert.Equal(frame.Length - W + 1, produced);
    }

    [Fact]
    public void Examples_pair_a_window_with_the_next_horizon_rows()
    {
        var frame = TimeSeriesGenerator.Energy(seed: 8, rows: 200);
        var data = EnergyData(frame);
        var example = data.Example(20);
        Assert.Equal(12 * 2, example.Features!.Length);
        float expectedFirst = ForecastScaling.Scale(frame.Column("load")[9], (float)data.Scaler.Mean[0], (float)data.Scaler.Std[0]);
        Assert.Equal(expectedFirst, example.Features[0]);
        float expectedTarget = ForecastScaling.Scale(frame.Column("load")[24], (float)data.Scaler.Mean[0], (float)data.Scaler.Std[0]);
        Assert.Equal(expectedTarget, example.Target![3]);
    }

    private static double[] Rows(TimeSeriesFrame frame, string[] columns)
    {
        var rows = new double[frame.Length * columns.Length];
        for (int c = 0; c < columns.Length; c++)
        {
            double[] values = frame.Column(columns[c]);
            for (int r = 0; r < frame.Length; r++)
                rows[r * columns.Length + c] = values[r];
        }
        return rows;
    }
}
