using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Baton.Numerics;

/// <summary>
/// Elementwise activation kernels over spans (Vector512 / Vector256 / Vector128 with a scalar twin),
/// and row-wise softmax / log-softmax (the cross-entropy built on them is Training.Losses.CrossEntropy). Outputs may alias inputs.
/// Stable for any finite input (no NaN or Inf at |x| = 1e4). Sigmoid and tanh are within
/// about 2 ulp of the exact values (tests hold them to <c>1e-6</c> relative).
/// </summary>
internal static unsafe class Activations
{
    /// <summary>y = σ(x) = 1 / (1 + e^{−x}).</summary>
    public static void Sigmoid(ReadOnlySpan<float> x, Span<float> y) => Sigmoid(SimdPaths.Best, x, y);

    /// <summary>y = tanh(x).</summary>
    public static void Tanh(ReadOnlySpan<float> x, Span<float> y) => Tanh(SimdPaths.Best, x, y);

    /// <summary>derivative = y · (1 − y), the derivative of σ at x given y = σ(x).</summary>
    public static void SigmoidDerivFromOutput(ReadOnlySpan<float> y, Span<float> derivative) =>
        SigmoidDerivFromOutput(SimdPaths.Best, y, derivative);

    /// <summary>derivative = 1 − y², the derivative of tanh at x given y = tanh(x).</summary>
    public static void TanhDerivFromOutput(ReadOnlySpan<float> y, Span<float> derivative) =>
        TanhDerivFromOutput(SimdPaths.Best, y, derivative);

    /// <summary>dx = dy · y · (1 − y): the gradient through y = σ(x).</summary>
    public static void SigmoidBackward(ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx) =>
        Elementwise.Map<SigmoidBackwardKernel>(SimdPaths.Best, y, dy, dx, nameof(y), nameof(dy), nameof(dx));

    /// <summary>dx = dy · (1 − y²): the gradient through y = tanh(x).</summary>
    public static void TanhBackward(ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx) =>
        Elementwise.Map<TanhBackwardKernel>(SimdPaths.Best, y, dy, dx, nameof(y), nameof(dy), nameof(dx));

    /// <summary>
    /// Row-wise softmax of <paramref name="x"/> [rows, columns]: y[r, j] = e^{x[r,j] − m_r} / Σ_k e^{x[r,k] − m_r},
    /// m_r = max_k x[r, k].
    /// </summary>
    public static void Softmax(ReadOnlySpan<float> x, int columns, Span<float> y) => Rows(SimdPaths.Best, x, columns, y, log: false);

    /// <summary>Row-wise log-softmax: y[r, j] = x[r, j] − m_r − ln Σ_k e^{x[r,k] − m_r}.</summary>
    public static void LogSoftmax(ReadOnlySpan<float> x, int columns, Span<float> y) => Rows(SimdPaths.Best, x, columns, y, log: true);

    internal static void Sigmoid(SimdPath path, ReadOnlySpan<float> x, Span<float> y) =>
        Elementwise.Map<SigmoidKernel>(path, x, y, nameof(y));

    internal static void Tanh(SimdPath path, ReadOnlySpan<float> x, Span<float> y) =>
        Elementwise.Map<TanhKernel>(path, x, y, nameof(y));

    internal static void SigmoidDerivFromOutput(SimdPath path, ReadOnlySpan<float> y, Span<float> derivative) =>
        Elementwise.Map<SigmoidDerivKernel>(path, y, derivative, nameof(derivative));

    internal static void TanhDerivFromOutput(SimdPath path, ReadOnlySpan<float> y, Span<float> derivative) =>
        Elementwise.Map<TanhDerivKernel>(path, y, derivative, nameof(derivative));

    internal static void SigmoidBackward(SimdPath path, ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx) =>
        Elementwise.Map<SigmoidBackwardKernel>(path, y, dy, dx, nameof(y), nameof(dy), nameof(dx));

    internal static void TanhBackward(SimdPath path, ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx) =>
        Elementwise.Map<TanhBackwardKernel>(path, y, dy, dx, nameof(y), nameof(dy), nameof(dx));

    internal static void Rows(SimdPath path, ReadOnlySpan<float> x, int columns, Span<float> y, bool log)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(columns, 1);
        if (x.Length % columns != 0)
            throw new ArgumentException($"Length {x.Length} is not a whole number of rows of {columns}.", nameof(x));
        if (y.Length != x.Length)
            throw new ArgumentException($"Length {y.Length} differs from the input's {x.Length}.", nameof(y));
        int rows = x.Length / columns;
        fixed (float* px = x, py = y)
        {
            for (int r = 0; r < rows; r++)
                SoftmaxRow(path, px + (long)r * columns, py + (long)r * columns, columns, log);
        }
    }

    private static void SoftmaxRow(SimdPath path, float* x, float* y, int n, bool log)
    {
        RowMaxAndSum(path, x, n, out float rowMax, out float sum);
        if (log)
            AddScalar(path, x, y, n, -rowMax - MathF.Log(sum));
        else
            ScaledExp(path, x, y, n, rowMax, 1f / sum);
    }

    /// <summary>rowMax = max_j x[j]; sum = Σ_j e^{x[j] − rowMax}, a float32 SIMD sum.</summary>
    internal static void RowMaxAndSum(SimdPath path, float* x, int n, out float rowMax, out float sum)
    {
        switch (path)
        {
            case SimdPath.Vector512: RowKernels<Simd512, Vector512<float>>.MaxAndSum(x, n, out rowMax, out sum); break;
            case SimdPath.Vector256: RowKernels<Simd256, Vector256<float>>.MaxAndSum(x, n, out rowMax, out sum); break;
            case SimdPath.Vector128: RowKernels<Simd128, Vector128<float>>.MaxAndSum(x, n, out rowMax, out sum); break;
            default: RowKernels<SimdScalar, float>.MaxAndSum(x, n, out rowMax, out sum); break;
        }
    }

    /// <summary>y[j] = e^{x[j] − shift} · scale (y may be x).</summary>
    internal static void ScaledExp(SimdPath path, float* x, float* y, int n, float shift, float scale)
    {
        switch (path)
        {
            case SimdPath.Vector512: RowKernels<Simd512, Vector512<float>>.ScaledExp(x, y, n, shift, scale); break;
            case SimdPath.Vector256: RowKernels<Simd256, Vector256<float>>.ScaledExp(x, y, n, shift, scale); break;
            case SimdPath.Vector128: RowKernels<Simd128, Vector128<float>>.ScaledExp(x, y, n, shift, scale); break;
            default: RowKernels<SimdScalar, float>.ScaledExp(x, y, n, shift, scale); break;
        }
    }

    private static void AddScalar(SimdPath path, float* x, float* y, int n, float shift)
    {
        switch (path)
        {
            case SimdPath.Vector512: RowKernels<Simd512, Vector512<float>>.AddScalar(x, y, n, shift); break;
            case SimdPath.Vector256: RowKernels<Simd256, Vector256<float>>.AddScalar(x, y, n, shift); break;
            case SimdPath.Vector128: RowKernels<Simd128, Vector128<float>>.AddScalar(x, y, n, shift); break;
            default: RowKernels<SimdScalar, float>.AddScalar(x, y, n, shift); break;
        }
    }

    private static class RowKernels<TOps, TVec>
        where TOps : struct, ISimdOps<TVec>
        where TVec : struct
    {
        /// <summary>rowMax = max_j x[j]; sum = Σ_j e^{x[j] − rowMax}.</summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public static void MaxAndSum(float* x, int n, out float rowMax, out float sum)
        {
            int w = TOps.Count;
            int i = 0;
            float m = float.NegativeInfinity;
            if (n >= w)
            {
                var vm = TOps.Load(x);
                for (i = w; i <= n - w; i += w)
                    vm = TOps.Max(vm, TOps.Load(x + i));
                m = TOps.MaxAcross(vm);
            }
            for (; i < n; i++)
                m = MathF.Max(m, x[i]);
            var shift = TOps.Broadcast(m);
            var vs = TOps.Zero;
            for (i = 0; i <= n - w; i += w)
                vs = TOps.Add(vs, TOps.Exp(TOps.Subtract(TOps.Load(x + i), shift)));
            float s = TOps.Sum(vs);
            for (; i < n; i++)
                s += MathF.Exp(x[i] - m);
            rowMax = m;
            sum = s;
        }

        /// <summary>y[j] = e^{x[j] − shift} · scale.</summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public static void ScaledExp(float* x, float* y, int n, float shift, float scale)
        {
            int w = TOps.Count;
            var vshift = TOps.Broadcast(shift);
            var vscale = TOps.Broadcast(scale);
            int i = 0;
            for (; i <= n - w; i += w)
                TOps.Store(y + i, TOps.Multiply(TOps.Exp(TOps.Subtract(TOps.Load(x + i), vshift)), vscale));
            for (; i < n; i++)
                y[i] = MathF.Exp(x[i] - shift) * scale;
        }

        /// <summary>y[j] = x[j] + shift.</summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public static void AddScalar(float* x, float* y, int n, float shift)
        {
            int w = TOps.Count;
            var vshift = TOps.Broadcast(shift);
            int i = 0;
            for (; i <= n - w; i += w)
                TOps.Store(y + i, TOps.Add(TOps.Load(x + i), vshift));
            for (; i < n; i++)
                y[i] = x[i] + shift;
        }
    }

    private readonly struct SigmoidKernel : IUnaryKernel
    {
        public static TVec Invoke<TOps, TVec>(TVec x) where TOps : struct, ISimdOps<TVec> where TVec : struct =>
            VectorMath<TOps, TVec>.Sigmoid(x);
    }

    private readonly struct TanhKernel : IUnaryKernel
    {
        public static TVec Invoke<TOps, TVec>(TVec x) where TOps : struct, ISimdOps<TVec> where TVec : struct =>
            VectorMath<TOps, TVec>.Tanh(x);
    }

    private readonly struct SigmoidDerivKernel : IUnaryKernel
    {
        public static TVec Invoke<TOps, TVec>(TVec y) where TOps : struct, ISimdOps<TVec> where TVec : struct =>
            VectorMath<TOps, TVec>.SigmoidDerivFromOutput(y);
    }

    private readonly struct TanhDerivKernel : IUnaryKernel
    {
        public static TVec Invoke<TOps, TVec>(TVec y) where TOps : struct, ISimdOps<TVec> where TVec : struct =>
            VectorMath<TOps, TVec>.TanhDerivFromOutput(y);
    }

    private readonly struct SigmoidBackwardKernel : IBinaryKernel
    {
        public static TVec Invoke<TOps, TVec>(TVec y, TVec dy) where TOps : struct, ISimdOps<TVec> where TVec : struct =>
            TOps.Multiply(dy, VectorMath<TOps, TVec>.SigmoidDerivFromOutput(y));
    }

    private readonly struct TanhBackwardKernel : IBinaryKernel
    {
        public static TVec Invoke<TOps, TVec>(TVec y, TVec dy) where TOps : struct, ISimdOps<TVec> where TVec : struct =>
            TOps.Multiply(dy, VectorMath<TOps, TVec>.TanhDerivFromOutput(y));
    }
}
