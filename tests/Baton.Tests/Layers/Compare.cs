namespace Baton.Tests.Layers;

/// <summary>
/// The error metric of the layer tests: the largest absolute difference over the tensor, divided by the largest
/// absolute reference value (at least <see cref="Floor"/>, so an all-zero reference does not divide by zero).
/// NaN anywhere gives NaN, which fails every "≤" assertion.
/// </summary>
internal static class Compare
{
    public const double Floor = 1e-3;

    public static double RelativeError(ReadOnlySpan<float> actual, ReadOnlySpan<float> expected)
    {
        Assert.Equal(expected.Length, actual.Length);
        double maxDiff = 0, maxRef = Floor;
        for (int i = 0; i < actual.Length; i++)
        {
            double diff = Math.Abs((double)actual[i] - expected[i]);
            if (double.IsNaN(diff))
                return double.NaN;
            maxDiff = Math.Max(maxDiff, diff);
            maxRef = Math.Max(maxRef, Math.Abs((double)expected[i]));
        }
        return maxDiff / maxRef;
    }

    public static double RelativeError(ReadOnlySpan<float> actual, ReadOnlySpan<double> expected)
    {
        Assert.Equal(expected.Length, actual.Length);
        double maxDiff = 0, maxRef = Floor;
        for (int i = 0; i < actual.Length; i++)
        {
            double diff = Math.Abs(actual[i] - expected[i]);
            if (double.IsNaN(diff))
                return double.NaN;
            maxDiff = Math.Max(maxDiff, diff);
            maxRef = Math.Max(maxRef, Math.Abs(expected[i]));
        }
        return maxDiff / maxRef;
    }

    /// <summary>Asserts the relative error is at most <paramref name="tolerance"/>, naming the tensor on failure.</summary>
    public static void Close(string what, ReadOnlySpan<float> actual, ReadOnlySpan<float> expected, double tolerance)
    {
        double e = RelativeError(actual, expected);
        Assert.True(e <= tolerance, $"{what}: relative error {e:E3} > {tolerance:E1}");
    }

    public static void Close(string what, ReadOnlySpan<float> actual, ReadOnlySpan<double> expected, double tolerance)
    {
        double e = RelativeError(actual, expected);
        Assert.True(e <= tolerance, $"{what}: relative error {e:E3} > {tolerance:E1}");
    }
}
