using Baton.Numerics;

namespace Baton.Tests.Parallel;

public class LogScanTests
{
    // Relative error: the float64 running sums leave only the final float32 rounding of exp().
    private const double RelativeTolerance = 1e-5;
    private const double GradientTolerance = 1e-5;

    [Theory]
    [InlineData(0, 4)]
    [InlineData(1, 17)]
    [InlineData(37, 3)]
    [InlineData(257, 130)]
    [InlineData(1000, 21)]
    public void Heinsen_form_matches_the_linear_loop_for_positive_values(int T, int N)
    {
        var rng = new Rng((ulong)(T * 31 + N));
        var a = ScanReference.Coefficients(rng, T * N, positive: true);
        var b = ScanReference.Uniform(rng, T * N, 1e-3f, 2f);
        var h0 = ScanReference.Uniform(rng, N, 1e-3f, 2f);
        var expected = ScanReference.Forward(a, b, h0, T, N);
        var logA = Array.ConvertAll(a, MathF.Log);
        var logB = Array.ConvertAll(b, MathF.Log);
        var logH0 = Array.ConvertAll(h0, MathF.Log);
        for (int threads = 1; threads <= 3; threads++)
        {
            var h = new float[T * N];
            ScanReference.WithThreads(threads, () => LogScan.Forward(logA, logB, logH0, h, T, N));
            for (int i = 0; i < h.Length; i++)
                Assert.True(Math.Abs(h[i] - expected[i]) <= RelativeTolerance * expected[i], $"i={i} threads={threads}: {h[i]} vs {expected[i]}");
        }
    }

    [Fact]
    public void Heinsen_form_without_h0_starts_from_zero()
    {
        const int T = 50, N = 19;
        var rng = new Rng(8);
        var a = ScanReference.Coefficients(rng, T * N, positive: true);
        var b = ScanReference.Uniform(rng, T * N, 1e-3f, 2f);
        var expected = ScanReference.Forward(a, b, [], T, N);
        var h = new float[T * N];
        LogScan.Forward(Array.ConvertAll(a, MathF.Log), Array.ConvertAll(b, MathF.Log), [], h, T, N);
        for (int i = 0; i < h.Length; i++)
            Assert.True(Math.Abs(h[i] - expected[i]) <= RelativeTolerance * expected[i]);
    }

    [Fact]
    public void Log_space_backward_is_the_linear_backward_times_the_exponentials()
    {
        const int T = 200, N = 35;
        var rng = new Rng(9);
        var a = ScanReference.Coefficients(rng, T * N, positive: true);
        var b = ScanReference.Uniform(rng, T * N, 1e-3f, 2f);
        var h0 = ScanReference.Uniform(rng, N, 1e-3f, 2f);
        var dh = ScanReference.Uniform(rng, T * N, -1f, 1f);
        var logA = Array.ConvertAll(a, MathF.Log);
        var logB = Array.ConvertAll(b, MathF.Log);
        var logH0 = Array.ConvertAll(h0, MathF.Log);
        var h = new float[T * N];
        LogScan.Forward(logA, logB, logH0, h, T, N);
        var (g, da, dh0) = ScanReference.Backward(a, Array.ConvertAll(h, v => (double)v), h0, dh, T, N);

        var dlogA = new float[T * N];
        var dlogB = new float[T * N];
        var dlogH0 = new float[N];
        LogScan.Backward(logA, logB, logH0, h, dh, dlogA, dlogB, dlogH0, T, N);
        for (int i = 0; i < T * N; i++)
        {
            Assert.Equal(g[i] * b[i], dlogB[i], GradientTolerance * (1 + Math.Abs(g[i] * b[i])));
            Assert.Equal(da[i] * a[i], dlogA[i], GradientTolerance * (1 + Math.Abs(da[i] * a[i])));
        }
        for (int n = 0; n < N; n++)
            Assert.Equal(dh0[n] * h0[n], dlogH0[n], GradientTolerance * (1 + Math.Abs(dh0[n] * h0[n])));
    }
}
