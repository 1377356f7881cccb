using System.Buffers;
using System.Numerics;
using System.Numerics.Tensors;

namespace Baton.Numerics;

/// <summary>
/// The linear recurrence h_t = a_t ⊙ h_{t-1} + b_t for positive a, b, h0 given in log space, evaluated with
/// Heinsen's (2023) closed form: with a*_t = Σ_{s≤t} log a_s,
/// log h_t = a*_t + logcumsumexp_{s≤t}(log b_s − a*_s), where the h0 term enters as s = −1 with a* = 0.
/// Both cumulative operations are scans (the form the minGRU paper parallelises on GPUs); here they run per channel,
/// SIMD across channels, threads over channel blocks. The running sums are kept in float64 because a*_t grows
/// like T·|log a| and would otherwise cancel catastrophically against log b − a*.
/// </summary>
internal static unsafe class LogScan
{
    [ThreadStatic] private static LogWork? cachedWork;

    /// <summary>
    /// h = exp(log h) of the recurrence above. logA, logB, h: [T, N]; logH0: [N] or empty (h0 = 0).
    /// </summary>
    public static void Forward(ReadOnlySpan<float> logA, ReadOnlySpan<float> logB, ReadOnlySpan<float> logH0, Span<float> h, int T, int N)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(T);
        ArgumentOutOfRangeException.ThrowIfNegative(N);
        long size = (long)T * N;
        if (logA.Length < size || logB.Length < size || h.Length < size)
            throw new ArgumentException($"logA, logB and h must hold T·N = {size} elements.");
        if (!logH0.IsEmpty && logH0.Length != N)
            throw new ArgumentException($"logH0 must be empty or have N = {N} elements.", nameof(logH0));
        if (T == 0 || N == 0)
            return;
        fixed (float* pa = logA, pb = logB, p0 = logH0, ph = h)
        {
            var work = cachedWork ??= new LogWork();
            work.LogA = pa;
            work.LogB = pb;
            work.LogH0 = logH0.IsEmpty ? null : p0;
            work.H = ph;
            work.T = T;
            work.N = N;
            int blocks = (N + Vector<float>.Count - 1) / Vector<float>.Count;
            int parts = N >= LinearScan.MinChannelsForChannelSplit ? Math.Min(Threads.Count, blocks) : 1;
            WorkerPool.Shared.Run(work, parts);
        }
    }

    /// <summary>
    /// Backward of <see cref="Forward"/>: with g the gradient of the linear scan (<see cref="LinearScan.Backward"/>),
    /// dlogB_t = g_t ⊙ b_t, dlogA_t = g_t ⊙ h_{t-1} ⊙ a_t, dlogH0 = a_0 ⊙ g_0 ⊙ h0 (overwritten).
    /// h: the forward output [T, N]; dh: ∂L/∂h [T, N]; dlogA may be empty, dlogH0 empty unless logH0 is given.
    /// </summary>
    public static void Backward(ReadOnlySpan<float> logA, ReadOnlySpan<float> logB, ReadOnlySpan<float> logH0, ReadOnlySpan<float> h,
        ReadOnlySpan<float> dh, Span<float> dlogA, Span<float> dlogB, Span<float> dlogH0, int T, int N)
    {
        int size = checked(T * N);
        float[] a = ArrayPool<float>.Shared.Rent(Math.Max(size, 1));      // [T, N] exp(log a)
        float[] h0 = ArrayPool<float>.Shared.Rent(Math.Max(N, 1));        // [N] exp(log h0)
        float[] b = ArrayPool<float>.Shared.Rent(Math.Max(size, 1));      // [T, N] exp(log b)
        try
        {
            var aSpan = a.AsSpan(0, size);
            TensorPrimitives.Exp(logA[..size], aSpan);
            var h0Span = logH0.IsEmpty ? Span<float>.Empty : h0.AsSpan(0, N);
            if (!logH0.IsEmpty)
                TensorPrimitives.Exp(logH0, h0Span);
            LinearScan.Backward(aSpan, h, h0Span, dh, dlogB, dlogA, dlogH0, T, N);
            TensorPrimitives.Exp(logB[..size], b.AsSpan(0, size));
            TensorPrimitives.Multiply(dlogB[..size], b.AsSpan(0, size), dlogB[..size]);
            if (!dlogA.IsEmpty)
                TensorPrimitives.Multiply(dlogA[..size], aSpan, dlogA[..size]);
            if (!dlogH0.IsEmpty)
                TensorPrimitives.Multiply(dlogH0, h0Span, dlogH0);
        }
        finally
        {
            ArrayPool<float>.Shared.Return(a);
            ArrayPool<float>.Shared.Return(h0);
            ArrayPool<float>.Shared.Return(b);
        }
    }

    private sealed class LogWork : IParallelWork
    {
        public float* LogA, LogB, LogH0, H;
        public int T, N;

        public void Execute(int index, int count)
        {
            int width = Vector<float>.Count;
            int blocks = (N + width - 1) / width;
            int c0 = Math.Min(N, blocks * index / count * width);
            int c1 = Math.Min(N, blocks * (index + 1) / count * width);
            int c = c0;
            for (; c + width <= c1; c += width)
                VectorColumns(c);
            for (; c < c1; c++)
                ScalarColumn(c);
        }

        // One block of Vector<float>.Count channels, as two Vector<double> halves.
        private void VectorColumns(int c)
        {
            Vector<double> starLo = Vector<double>.Zero, starHi = Vector<double>.Zero;
            var negInf = new Vector<double>(double.NegativeInfinity);
            Vector<double> accLo = negInf, accHi = negInf;
            if (LogH0 != null)
                Vector.Widen(Vector.Load(LogH0 + c), out accLo, out accHi);
            for (int t = 0; t < T; t++)
            {
                long at = (long)t * N + c;
                Vector.Widen(Vector.Load(LogA + at), out var laLo, out var laHi);
                Vector.Widen(Vector.Load(LogB + at), out var lbLo, out var lbHi);
                starLo += laLo;
                starHi += laHi;
                accLo = LogAddExp(accLo, lbLo - starLo);
                accHi = LogAddExp(accHi, lbHi - starHi);
                Vector.Store(Vector.Narrow(Vector.Exp(starLo + accLo), Vector.Exp(starHi + accHi)), H + at);
            }
        }

        private static Vector<double> LogAddExp(Vector<double> x, Vector<double> y)
        {
            var max = Vector.Max(x, y);
            var min = Vector.Min(x, y);
            return max + Vector.Log(Vector<double>.One + Vector.Exp(min - max));
        }

        private void ScalarColumn(int c)
        {
            double star = 0;
            double acc = LogH0 != null ? LogH0[c] : double.NegativeInfinity;
            for (int t = 0; t < T; t++)
            {
                long at = (long)t * N + c;
                star += LogA[at];
                double v = LogB[at] - star;
                double max = Math.Max(acc, v), min = Math.Min(acc, v);
                acc = max + Math.Log(1 + Math.Exp(min - max));
                H[at] = (float)Math.Exp(star + acc);
            }
        }
    }
}
