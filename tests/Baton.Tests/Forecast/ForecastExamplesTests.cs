using System.Security.Cryptography;
using Baton.Data;
using Baton.Training;

namespace Baton.Tests.Forecast;

/// <summary>
/// The forecast examples are built per batch from the raw rows, not stored per origin. These tests pin them, and a short
/// training run on them, to figures recorded from the build that stored one copy of every example.
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
    [InlineData("Ets", "55143A5855CADD99")]
    [InlineData("SeasonalNaive", "7DB3F63F9AEC9B73")]
    [InlineData("Combined", "15C28820A639B5A4")]
    public void Every_example_equals_the_one_recorded_when_each_origin_kept_its_own_copy(string kind, string expected)
    {
        Assert.Equal(expected, ExampleHash(Data(kind)));
    }

    [Theory]
    [InlineData("legacy", "3FDF3830B551D182", "400DC4C5A3FE6E93", "3BBC6775813468BD")]
    [InlineData("Ets", "3F72ADBEF919F251", "3F6D7E2C36D72F30", "83D389004A9C9963")]
    [InlineData("Combined", "3F81FA3CB6492BC5", "3F8224652B01EE00", "87CABA9017E57AB1")]
    public void A_short_training_run_ends_with_the_losses_and_weights_recorded_when_each_origin_kept_its_own_copy(string kind,
        string lastLoss, string validationLoss, string weights)
    {
        var result = ForecastTrainer.Train(Data(kind), Short);
        Assert.Equal((lastLoss, validationLoss, weights),
            (BitConverter.DoubleToInt64Bits(result.Training.LastLoss).ToString("X16"),
             BitConverter.DoubleToInt64Bits(result.ValidationLoss).ToString("X16"),
             ParameterHash(result)));
    }
}
