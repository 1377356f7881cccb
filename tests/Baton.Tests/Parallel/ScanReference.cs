using Baton.Numerics;

namespace Baton.Tests.Parallel;

/// <summary>Float64 reference loops for the linear recurrence and random inputs for the scan tests.</summary>
internal static class ScanReference
{
    /// <summary>h_t = a_t h_{t-1} + b_t in float64. a, b: [T, N]; h0: [N] or empty.</summary>
    public static double[] Forward(float[] a, float[] b, float[] h0, int T, int N)
    {
        var h = new double[T * N];
        for (int n = 0; n < N; n++)
        {
            double state = h0.Length == 0 ? 0 : h0[n];
            for (int t = 0; t < T; t++)
            {
                state = a[t * N + n] * state + b[t * N + n];
                h[t * N + n] = state;
            }
        }
        return h;
    }

    /// <summary>g_t = dh_t + a_{t+1} g_{t+1}; da_t = g_t h_{t-1}; dh0 = a_0 g_0, in float64.</summary>
    public static (double[] G, double[] Da, double[] Dh0) Backward(float[] a, double[] h, float[] h0, float[] dh, int T, int N)
    {
        var g = new double[T * N];
        var da = new double[T * N];
        var dh0 = new double[N];
        for (int n = 0; n < N; n++)
        {
            double carry = 0;
            for (int t = T - 1; t >= 0; t--)
            {
                carry = dh[t * N + n] + (t + 1 < T ? a[(t + 1) * N + n] * carry : 0);
                g[t * N + n] = carry;
                double prev = t > 0 ? h[(t - 1) * N + n] : h0.Length == 0 ? 0 : h0[n];
                da[t * N + n] = carry * prev;
            }
            dh0[n] = T > 0 ? a[n] * g[n] : 0;
        }
        return (g, da, dh0);
    }

    /// <summary>
    /// Coefficients mixing the hard cases: a near 0, near 1, in (0, 1), and negative; values in (-1, 1).
    /// </summary>
    public static float[] Coefficients(Rng rng, int count, bool positive = false)
    {
        var a = new float[count];
        for (int i = 0; i < count; i++)
        {
            a[i] = rng.NextInt(4) switch
            {
                0 => rng.Uniform(0f, 1e-3f),
                1 => 1f - rng.Uniform(0f, 1e-3f),
                2 => rng.Uniform(0f, 1f),
                _ => positive ? rng.Uniform(0.5f, 1f) : rng.Uniform(-1f, 0f),
            };
            if (positive)
                a[i] = Math.Max(a[i], 1e-6f);
        }
        return a;
    }

    public static float[] Uniform(Rng rng, int count, float lo, float hi)
    {
        var x = new float[count];
        for (int i = 0; i < count; i++)
            x[i] = rng.Uniform(lo, hi);
        return x;
    }

    /// <summary>max_i |actual_i − expected_i| / (1 + |expected_i|).</summary>
    public static double MaxScaledError(ReadOnlySpan<float> actual, ReadOnlySpan<double> expected)
    {
        double worst = 0;
        for (int i = 0; i < expected.Length; i++)
            worst = Math.Max(worst, Math.Abs(actual[i] - expected[i]) / (1 + Math.Abs(expected[i])));
        return worst;
    }

    /// <summary>Runs <paramref name="body"/> with <see cref="Threads.Count"/> set, restoring it afterwards.</summary>
    public static void WithThreads(int threads, Action body)
    {
        int saved = Threads.Count;
        Threads.Count = threads;
        try { body(); }
        finally { Threads.Count = saved; }
    }

    /// <summary>Runs <paramref name="body"/> with <see cref="Threads.Count"/> set and returns its result.</summary>
    public static T WithThreads<T>(int threads, Func<T> body)
    {
        T result = default!;
        WithThreads(threads, () => { result = body(); });
        return result;
    }
}
