using System.Security.Cryptography;
using Baton.Data;
using Baton.Training;

namespace Baton.Tests.Forecast;

/// <summary>
/// The forecast examples are built per batch from the raw rows, not stored per origin. These tests pin them, and a short
/// training run on them, to figures recorded from the build that stored one copy of every example (with the smoothing
/// started from its fitted state, for the Ets and Combined bases).
/// </summary>
public sealed class ForecastExamplesTests
{
    private static readonly ForecastOptions Short = new() { Hidden = 8, Steps = 30, BatchSize = 16, EvalEvery = 10, Seed = 5 };

    /// <summary>Two columns over 20 years of months: a seasonal, trending target and a feature that follows it.</summary>
    private static TimeSeriesFrame Monthly(int rows = 240)
    {
        double[] y = [.. Enumerable.Range(0, rows).Select(t => 100 + 2.0 * t + 15 * Math.Sin(2 * Math.PI * t / 12) + 3 * Math.Sin(0.9 * t))];
        double[] x = [.. Enumerable.Range(0, rows).Select(t => 10 + Math.Cos(2 * Math.PI * t / 12) + 0.5 * Math.Sin(1.7 * t))];
        string[] times = [.. Enumerable.Range(0, rows).Select(t => new DateTime(2000, 1, 1).AddMonths(t).ToString("yyyy-MM-dd"))];
        return new TimeSeriesFrame(["y", "x"], [y, x], times, "date");
    }

    private static ForecastScheme Scheme(string kind, TimeSeriesFrame frame)
    {
        if (kind == "legacy")
            return ForecastScheme.Legacy;
        var baseKind = Enum.Parse<ForecastBase>(kind);
        return new()
        {
            Normalisation = ForecastNormalisation.Window,
            LagSeasons = [12],
            LevelRows = 12,
            Base = baseKind,
            Ets = baseKind is ForecastBase.Ets or ForecastBase.Combined ? [TimeSeriesHoltWinters.Fit(frame.Column("y").AsSpan(0, 160), 12).Model] : [],
            BaseSeason = baseKind is ForecastBase.SeasonalNaive or ForecastBase.Combined ? 12 : 0,
        };
    }

    private static ForecastData Data(string kind)
    {
        var frame = Monthly();
        return new ForecastData(frame, ["y"], ["x"], window: 18, horizon: 5, Scheme(kind, frame), testRows: 0);
    }

    /// <summary>SHA-256 of the bit patterns of every example's inputs and labels, origin after origin.</summary>
    private static string ExampleHash(ForecastData data)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var example in data.Examples(data.FirstOrigin, data.Frame.Length - data.Horizon))
        {
            hash.AppendData(System.Runtime.InteropServices.MemoryMarshal.AsBytes(example.Features.AsSpan()));
            hash.AppendData(System.Runtime.InteropServices.MemoryMarshal.AsBytes(example.Target.AsSpan()));
        }
        return Convert.ToHexString(hash.GetHashAndReset())[..16];
    }

    private static string ParameterHash(ForecastTrainer.Result result) =>
        Convert.ToHexString(SHA256.HashData(System.Runtime.InteropServices.MemoryMarshal.AsBytes(result.Model.Parameters.Data.AsSpan())))[..16];

    [Theory]
    [InlineData("legacy", "1F7F22800E5330A3")]
    [InlineData("None", "C97753CD9E1DF848")]
    [InlineData("Ets", "31C23117B9E704A9")]
    [InlineData("SeasonalNaive", "7DB3F63F9AEC9B73")]
    [InlineData("Combined", "66E6CE9AA68411DE")]
    public void Every_example_equals_the_one_recorded_when_each_origin_kept_its_own_copy(string kind, string expected)
    {
        Assert.Equal(expected, ExampleHash(Data(kind)));
    }

    [Theory]
    [InlineData("legacy", "3FDF3830B551D182", "400DC4C5A3FE6E93", "3BBC6775813468BD")]
    [InlineData("Ets", "3F6D3168E2E18186", "3F6C61BF828617B0", "7B8E638A77E6E71B")]
    [InlineData("Combined", "3F815D4E6E17FFE0", "3F821903F69492AE", "8EE01A529269D562")]
    public void A_short_training_run_ends_with_the_losses_and_weights_recorded_when_each_origin_kept_its_own_copy(string kind,
        string lastLoss, string validationLoss, string weights)
    {
        var result = ForecastTrainer.Train(Data(kind), Short);
        Assert.Equal((lastLoss, validationLoss, weights),
            (BitConverter.DoubleToInt64Bits(result.Training.LastLoss).ToString("X16"),
             BitConverter.DoubleToInt64Bits(result.ValidationLoss).ToString("X16"),
             ParameterHash(result)));
    }
    [Theory]
    [InlineData("legacy")]
    [InlineData("None")]
    [InlineData("Ets")]
    [InlineData("SeasonalNaive")]
    [InlineData("Combined")]
    public void An_example_built_for_a_batch_equals_the_stored_one_bit_for_bit_at_every_origin_in_any_order(string kind)
    {
        var data = Data(kind);
        int end = data.Frame.Length - data.Horizon;
        var stored = data.Examples(data.FirstOrigin, end);
        var examples = new ForecastExamples(data, data.FirstOrigin, 150, 149, end, batchSize: 4, seed: 1);
        int T = examples.MaxT, I = examples.InputSize, O = examples.TargetSize;
        var x = new float[T * 3 * I];
        var label = new float[O];
        // Backwards, then a stride that jumps across saved states: each origin is reached from a different state.
        int[] origins = [.. Enumerable.Range(data.FirstOrigin, end - data.FirstOrigin).Reverse(),
            .. Enumerable.Range(0, 40).Select(k => data.FirstOrigin + k * 37 % (end - data.FirstOrigin))];
        foreach (int origin in origins)
        {
            examples.Write(origin, x, b: 1, B: 3, label);
            var expected = stored[origin - data.FirstOrigin];
            for (int t = 0; t < T; t++)
                Assert.True(expected.Features.AsSpan(t * I, I).SequenceEqual(x.AsSpan((t * 3 + 1) * I, I)), $"origin {origin}, step {t}");
            Assert.Equal(expected.Target, label);
        }
    }

    [Fact]
    public void Batches_come_in_the_order_and_layout_of_the_stored_examples()
    {
        var data = Data("Combined");
        var (_, trainEnd) = data.Split.TrainOrigins(data.Window, data.Horizon);
        var (validationStart, validationEnd) = data.Split.ValidationOrigins(data.Horizon);
        var stored = new SequenceExamples(data.Examples(data.FirstOrigin, trainEnd), data.Examples(validationStart, validationEnd),
            data.Inputs.Length, data.Horizon * data.Targets.Length, batchSize: 16, seed: 9);
        var built = new ForecastExamples(data, data.FirstOrigin, trainEnd, validationStart, validationEnd, batchSize: 16, seed: 9);
        Assert.Equal((stored.MaxT, stored.InputSize, stored.TargetSize, stored.BatchesPerEpoch, stored.ValidationBatchCount),
            (built.MaxT, built.InputSize, built.TargetSize, built.BatchesPerEpoch, built.ValidationBatchCount));
        var a = new TrainingBatch(stored.MaxT, stored.MaxB, stored.InputSize, stored.TargetSize);
        var b = new TrainingBatch(built.MaxT, built.MaxB, built.InputSize, built.TargetSize);
        for (int step = 0; step < 3 * stored.BatchesPerEpoch; step++)
        {
            stored.NextTrain(a);
            built.NextTrain(b);
            AssertSame(a, b, $"training step {step}");
        }
        for (int v = 0; v < stored.ValidationBatchCount; v++)
        {
            stored.GetValidation(v, a);
            built.GetValidation(v, b);
            AssertSame(a, b, $"validation batch {v}");
        }
    }

    private static void AssertSame(TrainingBatch a, TrainingBatch b, string where)
    {
        Assert.Equal((a.T, a.B, a.HasLengths, a.ContinuesState), (b.T, b.B, b.HasLengths, b.ContinuesState));
        Assert.True(a.Features.SequenceEqual(b.Features), $"{where}: features");
        Assert.True(a.Targets.SequenceEqual(b.Targets), $"{where}: targets");
        Assert.True(a.Lengths.AsSpan(0, a.B).SequenceEqual(b.Lengths.AsSpan(0, b.B)), $"{where}: lengths");
    }
    [Theory]
    [InlineData(24)]
    [InlineData(96)]
    public void The_examples_hold_four_bytes_an_origin_and_less_than_one_a_row_whatever_the_window(int window)
    {
        const int N = 20_000, Season = 24;
        double[] y = [.. Enumerable.Range(0, N).Select(t => 50 + 10 * Math.Sin(2 * Math.PI * t / Season) + 2 * Math.Sin(0.37 * t))];
        var frame = new TimeSeriesFrame(["y"], [y], []);
        var scheme = new ForecastScheme
        {
            Normalisation = ForecastNormalisation.Window,
            LagSeasons = [Season],
            LevelRows = Season,
            Base = ForecastBase.Combined,
            Ets = [TimeSeriesHoltWinters.Fit(y.AsSpan(0, 2000), Season).Model],
            BaseSeason = Season,
        };
        var data = new ForecastData(frame, ["y"], [], window, horizon: 12, scheme, testRows: 0);
        var (_, trainEnd) = data.Split.TrainOrigins(data.Window, data.Horizon);
        var (validationStart, validationEnd) = data.Split.ValidationOrigins(data.Horizon);
        var examples = new ForecastExamples(data, data.FirstOrigin, trainEnd, validationStart, validationEnd, batchSize: 32, seed: 1);
        Assert.Equal((validationEnd + ForecastExamples.SnapshotRows - 1) / ForecastExamples.SnapshotRows, examples.Snapshots);
        // A smoothing state is 8·(24 + 3) bytes every 256 rows; the ring W + 2·24 + 12 + 1 rows of one column.
        long bound = 4L * (trainEnd - data.FirstOrigin) + 1L * N + 8L * (window + 2 * Season + 13) + 4096;
        Assert.InRange(examples.HeldBytes, 4L * (trainEnd - data.FirstOrigin), bound);
        // Stored, one example per origin held T·I + K floats: (W + 12)·5 + 12 of them here.
        long stored = 4L * ((window + 12) * data.Inputs.Length + 12) * (trainEnd - data.FirstOrigin + validationEnd - validationStart);
        Assert.True(stored > 20 * bound, $"stored {stored} bytes, built per batch at most {bound}");
    }
}
