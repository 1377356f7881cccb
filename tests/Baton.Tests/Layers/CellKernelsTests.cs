using Baton.Layers;
using Baton.Numerics;

namespace Baton.Tests.Layers;

public class CellKernelsTests
{
    /// <summary>Vector and scalar paths differ in the exponential's last bits and in where FMA rounds.</summary>
    private const double TwinTolerance = 2e-6;

    /// <summary>The fused pass against float64 of the same formulas (the activations are within a few ulp).</summary>
    private const double ReferenceTolerance = 1e-5;

    private static float[] Uniform(Rng rng, int count, float lo, float hi)
    {
        var x = new float[count];
        for (int i = 0; i < count; i++)
            x[i] = rng.Uniform(lo, hi);
        return x;
    }

    private static void AssertClose(double expected, float actual, double tolerance, string what) =>
        Assert.True(Math.Abs(actual - expected) <= tolerance * (1 + Math.Abs(expected)), $"{what}: {actual}, expected {expected}");

    // The forward outputs (gates, c, c kept, m, h out) and the backward ones (gate gradients, dc) of one row of n units.
    private static unsafe float[][] Run(SimdPath path, int n, float[] pre, float[] c0, float[] dm, float[] dcNext, float[] cPrev)
    {
        var g = (float[])pre.Clone();
        var c = (float[])c0.Clone();
        var kept = new float[n];
        var m = new float[n];
        var hOut = new float[n];
        var dc = (float[])dcNext.Clone();
        fixed (float* pg = g, pc = c, pKept = kept, pm = m, pOut = hOut, pdm = dm, pdc = dc, pPrev = cPrev)
        {
            LstmCellKernels.Forward(path, pg, n, pc, pKept, pm, pOut, n);
            var gates = (float[])g.Clone();
            LstmCellKernels.Backward(path, pg, n, pc, pPrev, pdm, pdc, n);
            return [gates, c, kept, m, hOut, g, dc];
        }
    }

    [Fact]
    public void Lstm_every_vector_path_matches_the_scalar_twin_and_float64_for_every_width_up_to_100()
    {
        var rng = new Rng(5);
        for (int n = 1; n <= 100; n++)
        {
            // Pre-activations across tanh's polynomial / exponential switch and into σ's saturation.
            var pre = Uniform(rng, 4 * n, -9f, 9f);
            var c0 = Uniform(rng, n, -2f, 2f);
            var dm = Uniform(rng, n, -1f, 1f);
            var dcNext = Uniform(rng, n, -1f, 1f);
            var cPrev = Uniform(rng, n, -2f, 2f);
            var expected = Run(SimdPath.Scalar, n, pre, c0, dm, dcNext, cPrev);
            AssertMatchesFloat64(n, pre, c0, dm, dcNext, cPrev, expected);
            foreach (var path in SimdPaths.Supported)
            {
                var actual = Run(path, n, pre, c0, dm, dcNext, cPrev);
                for (int k = 0; k < expected.Length; k++)
                    for (int j = 0; j < expected[k].Length; j++)
                        AssertClose(expected[k][j], actual[k][j], TwinTolerance, $"{path} n={n} output {k} [{j}]");
            }
        }
    }

    // PyTorch's LSTM cell in float64; the backward reads the stored float32 gates and c, as the kernel does.
    private static void AssertMatchesFloat64(int n, float[] pre, float[] c0, float[] dm, float[] dcNext, float[] cPrev, float[][] actual)
    {
        static double Sigmoid(double x) => 1 / (1 + Math.Exp(-x));
        var (gates, c, kept, m, hOut, grads, dc) = (actual[0], actual[1], actual[2], actual[3], actual[4], actual[5], actual[6]);
        for (int j = 0; j < n; j++)
        {
            double i = Sigmoid(pre[j]), f = Sigmoid(pre[n + j]), g = Math.Tanh(pre[2 * n + j]), o = Sigmoid(pre[3 * n + j]);
            double cNew = f * c0[j] + i * g, mNew = o * Math.Tanh(cNew);
            AssertClose(i, gates[j], ReferenceTolerance, $"i n={n} [{j}]");
            AssertClose(f, gates[n + j], ReferenceTolerance, $"f n={n} [{j}]");
            AssertClose(g, gates[2 * n + j], ReferenceTolerance, $"g n={n} [{j}]");
            AssertClose(o, gates[3 * n + j], ReferenceTolerance, $"o n={n} [{j}]");
            AssertClose(cNew, c[j], ReferenceTolerance, $"c n={n} [{j}]");
            Assert.Equal(c[j], kept[j]);
            AssertClose(mNew, m[j], ReferenceTolerance, $"m n={n} [{j}]");
            Assert.Equal(m[j], hOut[j]);

            double si = gates[j], sf = gates[n + j], sg = gates[2 * n + j], so = gates[3 * n + j], tc = Math.Tanh(c[j]);
            double dcTotal = dcNext[j] + dm[j] * so * (1 - tc * tc);
            AssertClose(dcTotal * sg * si * (1 - si), grads[j], ReferenceTolerance, $"di n={n} [{j}]");
            AssertClose(dcTotal * cPrev[j] * sf * (1 - sf), grads[n + j], ReferenceTolerance, $"df n={n} [{j}]");
            AssertClose(dcTotal * si * (1 - sg * sg), grads[2 * n + j], ReferenceTolerance, $"dg n={n} [{j}]");
            AssertClose(dm[j] * tc * so * (1 - so), grads[3 * n + j], ReferenceTolerance, $"do n={n} [{j}]");
            AssertClose(dcTotal * sf, dc[j], ReferenceTolerance, $"dc_prev n={n} [{j}]");
        }
    }

    // The GRU's forward outputs (gates, hnPre, h out, its copy) and backward ones (gradients, dn, dh) of one row of n units.
    private static unsafe float[][] RunGru(SimdPath path, int n, float[] pre, float[] gh, float[] bHn, float[] h, float[] dhNext,
        float[] dy)
    {
        var g = (float[])pre.Clone();
        var hnPre = new float[n];
        var hOut = new float[n];
        var hOut2 = new float[n];
        var dh = (float[])dhNext.Clone();
        fixed (float* pg = g, pgh = gh, pb = bHn, pPre = hnPre, ph = h, pOut = hOut, pOut2 = hOut2, pdh = dh, pdy = dy)
        {
            GruCellKernels.Forward(path, pg, pgh, n, pb, pPre, ph, pOut, pOut2, n);
            var gates = (float[])g.Clone();
            var kept = (float[])hnPre.Clone();
            GruCellKernels.Backward(path, pg, n, pPre, ph, pdh, pdy, n);
            return [gates, kept, hOut, hOut2, g, hnPre, dh];
        }
    }

    [Fact]
    public void Gru_every_vector_path_matches_the_scalar_twin_and_float64_for_every_width_up_to_100()
    {
        static double Sigmoid(double x) => 1 / (1 + Math.Exp(-x));
        var rng = new Rng(6);
        for (int n = 1; n <= 100; n++)
        {
            var pre = Uniform(rng, 3 * n, -6f, 6f);
            var gh = Uniform(rng, 3 * n, -3f, 3f);
            var bHn = Uniform(rng, n, -1f, 1f);
            var h = Uniform(rng, n, -1f, 1f);
            var dhNext = Uniform(rng, n, -1f, 1f);
            var dy = Uniform(rng, n, -1f, 1f);
            var expected = RunGru(SimdPath.Scalar, n, pre, gh, bHn, h, dhNext, dy);
            var (gates, hnPre, hOut, hOut2, grads, dn, dh) = (expected[0], expected[1], expected[2], expected[3], expected[4], expected[5], expected[6]);
            for (int j = 0; j < n; j++)
            {
                // PyTorch's GRU cell in float64; the backward reads the stored float32 gates, as the kernel does.
                double r = Sigmoid(pre[j] + gh[j]), z = Sigmoid(pre[n + j] + gh[n + j]);
                double hn = gh[2 * n + j] + bHn[j], nn = Math.Tanh(pre[2 * n + j] + r * hn), hNew = (1 - z) * nn + z * h[j];
                AssertClose(r, gates[j], ReferenceTolerance, $"r n={n} [{j}]");
                AssertClose(z, gates[n + j], ReferenceTolerance, $"z n={n} [{j}]");
                AssertClose(nn, gates[2 * n + j], ReferenceTolerance, $"n n={n} [{j}]");
                AssertClose(hn, hnPre[j], ReferenceTolerance, $"hnPre n={n} [{j}]");
                AssertClose(hNew, hOut[j], ReferenceTolerance, $"h' n={n} [{j}]");
                Assert.Equal(hOut[j], hOut2[j]);

                double sr = gates[j], sz = gates[n + j], sn = gates[2 * n + j], d = dhNext[j] + dy[j];
                double dnPre = d * (1 - sz) * (1 - sn * sn);
                AssertClose(dnPre, dn[j], ReferenceTolerance, $"dn n={n} [{j}]");
                AssertClose(dnPre * hnPre[j] * sr * (1 - sr), grads[j], ReferenceTolerance, $"dr n={n} [{j}]");
                AssertClose(d * (h[j] - sn) * sz * (1 - sz), grads[n + j], ReferenceTolerance, $"dz n={n} [{j}]");
                AssertClose(dnPre * sr, grads[2 * n + j], ReferenceTolerance, $"dn·r n={n} [{j}]");
                AssertClose(d * sz, dh[j], ReferenceTolerance, $"dh_prev n={n} [{j}]");
            }
            foreach (var path in SimdPaths.Supported)
            {
                var actual = RunGru(path, n, pre, gh, bHn, h, dhNext, dy);
                for (int k = 0; k < expected.Length; k++)
                    for (int j = 0; j < expected[k].Length; j++)
                        AssertClose(expected[k][j], actual[k][j], TwinTolerance, $"{path} n={n} output {k} [{j}]");
            }
        }
    }
}
