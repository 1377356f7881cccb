using Baton.Numerics;

namespace Baton.Tests.Parallel;

public class LinearScanTests
{
    // Float32 against the float64 loop, error scaled by 1 + |h|: a few ulps per step of a near-1 chain.
    private const double ScanTolerance = 1e-5;
    private const double GradientTolerance = 1e-5;

    public static readonly int[] Lengths = [0, 1, 2, 3, 31, 256, 257, 1000];
    public static readonly int[] Widths = [1, 5, 33, 300];
    private static readonly ScanMethod[] Methods = [ScanMethod.Sequential, ScanMethod.Channels, ScanMethod.TimeChunks, ScanMethod.Auto];

    public static TheoryData<int> LengthCases() => [.. Lengths];

    [Theory]
    [MemberData(nameof(LengthCases))]
    public void Every_method_matches_the_float64_loop_for_every_thread_count(int T)
    {
        var rng = new Rng((ulong)(1000 + T));
        foreach (int N in Widths)
        {
            var a = ScanReference.Coefficients(rng, T * N);
            var b = ScanReference.Uniform(rng, T * N, -1f, 1f);
            var h0 = ScanReference.Uniform(rng, N, -1f, 1f);
            var expected = ScanReference.Forward(a, b, h0, T, N);
            foreach (var method in Methods)
            {
                for (int threads = 1; threads <= (method == ScanMethod.Sequential ? 1 : 3); threads++)
                {
                    var h = new float[T * N];
                    ScanReference.WithThreads(threads, () => LinearScan.Forward(a, b, h0, h, T, N, method));
                    double error = ScanReference.MaxScaledError(h, expected);
                    Assert.True(error <= ScanTolerance, $"{method} T={T} N={N} threads={threads}: error {error:E2}");
                }
            }
        }
    }

    [Theory]
    [InlineData(1000, 7)]
    [InlineData(700, 200)]
    public void Results_are_bit_identical_across_thread_counts_and_channel_split_equals_sequential(int T, int N)
    {
        var rng = new Rng(7);
        var a = ScanReference.Coefficients(rng, T * N);
        var b = ScanReference.Uniform(rng, T * N, -1f, 1f);
        var sequential = new float[T * N];
        LinearScan.Forward(a, b, [], sequential, T, N, ScanMethod.Sequential);
        foreach (var method in new[] { ScanMethod.Channels, ScanMethod.TimeChunks })
        {
            float[]? first = null;
            for (int threads = 1; threads <= 3; threads++)
            {
                var h = new float[T * N];
                ScanReference.WithThreads(threads, () => LinearScan.Forward(a, b, [], h, T, N, method));
                first ??= h;
                Assert.Equal(first, h);
            }
            if (method == ScanMethod.Channels)
                Assert.Equal(sequential, first);
        }
    }

    [Fact]
    public void Output_may_overwrite_the_values_in_place()
    {
        const int T = 300, N = 40;
        var rng = new Rng(3);
        var a = ScanReference.Coefficients(rng, T * N);
        var b = ScanReference.Uniform(rng, T * N, -1f, 1f);
        var expected = new float[T * N];
        LinearScan.Forward(a, b, [], expected, T, N, ScanMethod.TimeChunks);
        LinearScan.Forward(a, b, [], b, T, N, ScanMethod.TimeChunks);
        Assert.Equal(expected, b);
    }

    [Theory]
    [MemberData(nameof(LengthCases))]
    public void Backward_matches_the_float64_reversed_loop_for_every_method_and_thread_count(int T)
    {
        var rng = new Rng((ulong)(2000 + T));
        foreach (int N in new[] { 3, 33, 130 })
        {
            var a = ScanReference.Coefficients(rng, T * N);
            var b = ScanReference.Uniform(rng, T * N, -1f, 1f);
            var h0 = ScanReference.Uniform(rng, N, -1f, 1f);
            var dh = ScanReference.Uniform(rng, T * N, -1f, 1f);
            var h = new float[T * N];
            LinearScan.Forward(a, b, h0, h, T, N, ScanMethod.Sequential);
            var hd = Array.ConvertAll(h, v => (double)v);
            var (g, da, dh0) = ScanReference.Backward(a, hd, h0, dh, T, N);
            foreach (var method in Methods)
            {
                for (int threads = 1; threads <= (method == ScanMethod.Sequential ? 1 : 3); threads++)
                {
                    var db = new float[T * N];
                    var daOut = new float[T * N];
                    var dh0Out = new float[N];
                    ScanReference.WithThreads(threads, () => LinearScan.Backward(a, h, h0, dh, db, daOut, dh0Out, T, N, method));
                    string where = $"{method} T={T} N={N} threads={threads}";
                    Assert.True(ScanReference.MaxScaledError(db, g) <= GradientTolerance, $"db {where}");
                    Assert.True(ScanReference.MaxScaledError(daOut, da) <= GradientTolerance, $"da {where}");
                    Assert.True(ScanReference.MaxScaledError(dh0Out, dh0) <= GradientTolerance, $"dh0 {where}");
                }
            }
        }
    }

    [Fact]
    public void Reference_backward_agrees_with_finite_differences_of_the_reference_forward()
    {
        const int T = 9, N = 2;
        const double Step = 1e-3, Tolerance = 1e-6;
        var rng = new Rng(11);
        var a = ScanReference.Uniform(rng, T * N, -0.9f, 0.9f);
        var b = ScanReference.Uniform(rng, T * N, -1f, 1f);
        var h0 = ScanReference.Uniform(rng, N, -1f, 1f);
        var w = ScanReference.Uniform(rng, T * N, -1f, 1f);   // L = Σ w ⊙ h, so ∂L/∂h = w
        double Loss(float[] aa, float[] bb, float[] hh0)
        {
            var h = ScanReference.Forward(aa, bb, hh0, T, N);
            double sum = 0;
            for (int i = 0; i < h.Length; i++)
                sum += w[i] * h[i];
            return sum;
        }
        var (g, da, dh0) = ScanReference.Backward(a, ScanReference.Forward(a, b, h0, T, N), h0, w, T, N);
        for (int i = 0; i < T * N; i++)
        {
            // The loss is linear in b and in each a_i separately, so central differences are exact up to rounding.
            Assert.Equal(g[i], Central(b, i), Tolerance);
            Assert.Equal(da[i], Central(a, i), Tolerance);
        }
        for (int n = 0; n < N; n++)
            Assert.Equal(dh0[n], Central(h0, n), Tolerance);

        double Central(float[] x, int i)
        {
            float saved = x[i];
            x[i] = (float)(saved + Step);
            double plus = Loss(a, b, h0);
            x[i] = (float)(saved - Step);
            double minus = Loss(a, b, h0);
            x[i] = saved;
            return (plus - minus) / ((float)(saved + Step) - (float)(saved - Step));
        }
    }

    [Fact]
    public void Backward_may_write_the_gradient_over_dh_in_place()
    {
        const int T = 600, N = 9;
        var rng = new Rng(5);
        var a = ScanReference.Coefficients(rng, T * N);
        var h = ScanReference.Uniform(rng, T * N, -1f, 1f);
        var dh = ScanReference.Uniform(rng, T * N, -1f, 1f);
        var expected = new float[T * N];
        LinearScan.Backward(a, h, [], dh, expected, [], [], T, N, ScanMethod.TimeChunks);
        LinearScan.Backward(a, h, [], dh, dh, [], [], T, N, ScanMethod.TimeChunks);
        Assert.Equal(expected, dh);
    }

    [Fact]
    public void Auto_splits_channels_only_for_wide_large_scans_and_never_time()
    {
        int wide = LinearScan.MinChannelsForChannelSplit;
        int longEnough = LinearScan.MinElementsForThreads / wide;
        Assert.Equal(ScanMethod.Channels, LinearScan.Resolve(ScanMethod.Auto, longEnough, wide));
        Assert.Equal(ScanMethod.Sequential, LinearScan.Resolve(ScanMethod.Auto, longEnough - 1, wide));
        Assert.Equal(ScanMethod.Sequential, LinearScan.Resolve(ScanMethod.Auto, 1 << 20, wide - 1));
        Assert.Equal(ScanMethod.TimeChunks, LinearScan.Resolve(ScanMethod.TimeChunks, 1, 1));
    }
}
