using Baton.Layers;
using Baton.Numerics;

namespace Baton.Tests.Parallel;

public class MinKernelsTests
{
    /// <summary>Vector and scalar paths differ in the exponential's last bits and in where FMA rounds.</summary>
    private const double TwinTolerance = 2e-6;

    /// <summary>
    /// Against float64 σ: ∂L/∂k ≤ 0.5 here, so 1e-7 is about two float ulps; h = z·g(k) up to 45 (k = 90) within 1e-6
    /// relative (σ's polynomial is within ~1 ulp, each product rounds once more).
    /// </summary>
    private const double EdgeAbsoluteTolerance = 1e-7, EdgeRelativeTolerance = 1e-6;

    /// <summary>Two fused backward passes that split channels differently must agree exactly; other scans only closely.</summary>
    private const float ScanTolerance = 1e-5f;

    public static TheoryData<string> Cells() => ["mingru", "minlstm"];

    private static MinKernels Kernels(string cell) =>
        cell == "mingru" ? MinKernels<MinGru.Gates>.Instance : MinKernels<MinLstm.Gates>.Instance;

    private static void AssertClose(float expected, float actual, string what) =>
        Assert.True(Math.Abs(actual - expected) <= TwinTolerance * (1 + Math.Abs(expected)), $"{what}: {actual}, expected {expected}");

    [Theory]
    [MemberData(nameof(Cells))]
    public unsafe void Every_vector_path_matches_the_scalar_twin_for_every_width_up_to_257(string cell)
    {
        var kernels = Kernels(cell);
        int G = kernels.Chunks;
        var rng = new Rng(11);
        for (int H = 1; H <= 257; H++)
        {
            // Projections across both branches of g and into σ's saturation.
            var pre = ScanReference.Uniform(rng, G * H, -12f, 12f);
            var bias = ScanReference.Uniform(rng, G * H, -1f, 1f);
            var prev = ScanReference.Uniform(rng, H, -2f, 2f);
            var dh = ScanReference.Uniform(rng, H, -1f, 1f);
            var carry = ScanReference.Uniform(rng, H, -1f, 1f);
            var coefficient = ScanReference.Uniform(rng, H, 0f, 1f);
            var expected = Run(kernels, SimdPath.Scalar, H, pre, bias, prev, dh, carry, coefficient);
            foreach (var path in SimdPaths.Supported)
            {
                var actual = Run(kernels, path, H, pre, bias, prev, dh, carry, coefficient);
                for (int k = 0; k < expected.Length; k++)
                    for (int i = 0; i < expected[k].Length; i++)
                        AssertClose(expected[k][i], actual[k][i], $"{cell} {path} H={H} output {k} [{i}]");
            }
        }
    }

    // Every output of the four kernel modes: h and the activations, (a, b), (dpre, sums, g, a) fused, (dpre, sums) after a
    // separate scan. Each forward starts from its own copy of the projection, which it turns into the activations.
    private static unsafe float[][] Run(MinKernels kernels, SimdPath path, int H, float[] pre, float[] bias, float[] prev,
        float[] dh, float[] carry, float[] coefficient)
    {
        int G = kernels.Chunks;
        var h = new float[H];
        var a = new float[H];
        var b = new float[H];
        var act = (float[])pre.Clone();
        var actCoefficients = (float[])pre.Clone();
        var dpre = new float[G * H];
        var sums = Enumerable.Repeat(0.25f, G * H).ToArray();
        var gNext = (float[])carry.Clone();
        var aNext = (float[])coefficient.Clone();
        var dpreScanned = new float[G * H];
        var sumsScanned = new float[G * H];
        fixed (float* pAct = act, pActCoefficients = actCoefficients, pBias = bias, pPrev = prev, pDh = dh, pH = h, pA = a, pB = b,
            pDPre = dpre, pSums = sums, pGNext = gNext, pANext = aNext, pDPreScanned = dpreScanned, pSumsScanned = sumsScanned)
        {
            kernels.Forward(path, pAct, pBias, pPrev, pH, null, H, 0, H);
            kernels.Forward(path, pActCoefficients, pBias, pPrev, pB, pA, H, 0, H);
            kernels.Backward(path, pAct, pPrev, pDh, pGNext, pANext, false, pDPre, pSums, H, 0, H);
            kernels.Backward(path, pAct, pPrev, pDh, null, null, false, pDPreScanned, pSumsScanned, H, 0, H);
        }
        Assert.Equal(act, actCoefficients);
        return [h, act, a, b, dpre, sums, gNext, aNext, dpreScanned, sumsScanned];
    }

    [Fact]
    public unsafe void The_candidate_slope_follows_the_branch_of_k_at_its_edges()
    {
        // k where σ(k) rounds to 0.5, where σ underflows to 0 (tagged −0), both zeros, and ordinary values; u = 0, so
        // z = 0.5, and g = 1, h_{t−1} = 0: ∂L/∂k = z g'(k) = 0.5 g'(k), with g'(k) = σ(k)(1 − σ(k)) for k < 0, else 1.
        float[] ks = [-1e-9f, -100f, 0f, -0f, 1e-9f, -3f, 3f, -0.5f, 90f];
        int H = ks.Length;
        var kernels = MinKernels<MinGru.Gates>.Instance;
        foreach (var path in SimdPaths.Supported)
        {
            var act = ks.Concat(new float[H]).ToArray();
            var dpre = new float[2 * H];
            var sums = new float[2 * H];
            var h = new float[H];
            var prev = new float[H];
            var dh = Enumerable.Repeat(1f, H).ToArray();
            fixed (float* pAct = act, pBias = new float[2 * H], pPrev = prev, pH = h, pDh = dh, pDPre = dpre, pSums = sums)
            {
                kernels.Forward(path, pAct, pBias, pPrev, pH, null, H, 0, H);
                kernels.Backward(path, pAct, pPrev, pDh, null, null, false, pDPre, pSums, H, 0, H);
            }
            for (int j = 0; j < H; j++)
            {
                double k = ks[j], s = 1 / (1 + Math.Exp(-k));
                double slope = k < 0 ? (k < -88.72 ? 0 : s * (1 - s)) : 1;
                Assert.True(Math.Abs(dpre[j] - 0.5 * slope) <= EdgeAbsoluteTolerance, $"{path} k={k}: ∂L/∂k {dpre[j]}, expected {0.5 * slope}");
                double g = k < 0 ? (k < -88.72 ? 0 : s) : k + 0.5;
                Assert.True(Math.Abs(h[j] - 0.5 * g) <= EdgeRelativeTolerance * (1 + g), $"{path} k={k}: h {h[j]}, expected {0.5 * g}");
            }
        }
    }

    [Theory]
    [MemberData(nameof(Cells))]
    public void Channel_splits_give_identical_results_for_any_thread_count(string cell)
    {
        // H = 100 is not a whole number of vectors, so splits land inside rows and tails matter.
        const int T = 37, B = 5, I = 6, H = 100;
        var (layer, parameters) = Build(cell, I, H);
        var rng = new Rng(12);
        var x = ScanReference.Uniform(rng, T * B * I, -2f, 2f);
        var h0 = ScanReference.Uniform(rng, B * H, -1f, 1f);
        var dy = ScanReference.Uniform(rng, T * B * H, -1f, 1f);
        var dhn = ScanReference.Uniform(rng, B * H, -1f, 1f);
        Result? first = null;
        foreach (var (method, threads) in new[] { (ScanMethod.Sequential, 1), (ScanMethod.Channels, 1), (ScanMethod.Channels, 2), (ScanMethod.Channels, 3) })
        {
            layer.ScanMethod = method;
            var result = ScanReference.WithThreads(threads, () => RunLayer(layer, parameters, x, h0, dy, dhn, T, B, truncateBefore: 9));
            first ??= result;
            Assert.Equal(first.Y, result.Y);
            Assert.Equal(first.Hn, result.Hn);
            Assert.Equal(first.Dx, result.Dx);
            Assert.Equal(first.Dh0, result.Dh0);
            Assert.Equal(first.Grad, result.Grad);
        }
    }

    [Theory]
    [MemberData(nameof(Cells))]
    public void Time_chunked_scans_agree_with_the_fused_pass(string cell)
    {
        const int T = 300, B = 3, I = 5, H = 40;
        var (layer, parameters) = Build(cell, I, H);
        var rng = new Rng(13);
        var x = ScanReference.Uniform(rng, T * B * I, -2f, 2f);
        var h0 = ScanReference.Uniform(rng, B * H, -1f, 1f);
        var dy = ScanReference.Uniform(rng, T * B * H, -1f, 1f);
        var dhn = ScanReference.Uniform(rng, B * H, -1f, 1f);
        layer.ScanMethod = ScanMethod.Sequential;
        var fused = RunLayer(layer, parameters, x, h0, dy, dhn, T, B, truncateBefore: 100);
        layer.ScanMethod = ScanMethod.TimeChunks;
        var chunked = ScanReference.WithThreads(2, () => RunLayer(layer, parameters, x, h0, dy, dhn, T, B, truncateBefore: 100));
        foreach (var (expected, actual) in new[] { (fused.Y, chunked.Y), (fused.Hn, chunked.Hn), (fused.Dx, chunked.Dx), (fused.Dh0, chunked.Dh0), (fused.Grad, chunked.Grad) })
            for (int i = 0; i < expected.Length; i++)
                Assert.True(Math.Abs(actual[i] - expected[i]) <= ScanTolerance * (1 + Math.Abs(expected[i])), $"[{i}]: {actual[i]} vs {expected[i]}");
    }

    private sealed record Result(float[] Y, float[] Hn, float[] Dx, float[] Dh0, float[] Grad);

    private static (MinRecurrence Layer, Parameters Parameters) Build(string cell, int I, int H)
    {
        var parameters = new Parameters();
        MinRecurrence layer = cell == "mingru"
            ? new MinGru(I, H, parameters, "rnn.layers.0.")
            : new MinLstm(I, H, parameters, "rnn.layers.0.");
        parameters.Freeze();
        layer.ResetParameters(new Rng(14));
        return (layer, parameters);
    }

    private static Result RunLayer(MinRecurrence layer, Parameters parameters, float[] x, float[] h0, float[] dy, float[] dhn,
        int T, int B, int truncateBefore)
    {
        int I = layer.InputSize, H = layer.HiddenSize;
        var cache = layer.CreateCache(T, B);
        var y = new float[T * B * H];
        var hn = new float[B * H];
        layer.Forward(cache, x, T, B, [], h0, y, hn);
        var dx = new float[T * B * I];
        var dh0 = new float[B * H];
        parameters.ZeroGrad();
        layer.Backward(cache, dy, dhn, dx, dh0, truncateBefore);
        return new Result(y, hn, dx, dh0, (float[])parameters.Grad.Clone());
    }
}
