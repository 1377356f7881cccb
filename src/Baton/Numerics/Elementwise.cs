using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Baton.Numerics;

/// <summary>A lane-wise function of one input, written once over <see cref="ISimdOps{TVec}"/>.</summary>
internal interface IUnaryKernel
{
    static abstract TVec Invoke<TOps, TVec>(TVec x) where TOps : struct, ISimdOps<TVec> where TVec : struct;
}

/// <summary>A lane-wise function of two inputs, written once over <see cref="ISimdOps{TVec}"/>.</summary>
internal interface IBinaryKernel
{
    static abstract TVec Invoke<TOps, TVec>(TVec x, TVec y) where TOps : struct, ISimdOps<TVec> where TVec : struct;
}

/// <summary>
/// The one loop behind every elementwise kernel: whole vectors of the chosen width, then the tail
/// through the same function instantiated on <see cref="SimdScalar"/>. In-place use (output = input) is allowed.
/// </summary>
internal static unsafe class Elementwise
{
    public static void Map<TKernel>(SimdPath path, ReadOnlySpan<float> x, Span<float> y, string yName)
        where TKernel : IUnaryKernel
    {
        if (x.Length != y.Length)
            throw new ArgumentException($"Length {y.Length} differs from the input's {x.Length}.", yName);
        fixed (float* px = x, py = y)
        {
            switch (path)
            {
                case SimdPath.Vector512: Map<TKernel, Simd512, Vector512<float>>(px, py, x.Length); break;
                case SimdPath.Vector256: Map<TKernel, Simd256, Vector256<float>>(px, py, x.Length); break;
                case SimdPath.Vector128: Map<TKernel, Simd128, Vector128<float>>(px, py, x.Length); break;
                default: Map<TKernel, SimdScalar, float>(px, py, x.Length); break;
            }
        }
    }

    public static void Map<TKernel>(SimdPath path, ReadOnlySpan<float> x, ReadOnlySpan<float> u, Span<float> y,
        string xName, string uName, string yName)
        where TKernel : IBinaryKernel
    {
        if (u.Length != x.Length)
            throw new ArgumentException($"Length {u.Length} differs from {xName}'s {x.Length}.", uName);
        if (y.Length != x.Length)
            throw new ArgumentException($"Length {y.Length} differs from {xName}'s {x.Length}.", yName);
        fixed (float* px = x, pu = u, py = y)
        {
            switch (path)
            {
                case SimdPath.Vector512: Map<TKernel, Simd512, Vector512<float>>(px, pu, py, x.Length); break;
                case SimdPath.Vector256: Map<TKernel, Simd256, Vector256<float>>(px, pu, py, x.Length); break;
                case SimdPath.Vector128: Map<TKernel, Simd128, Vector128<float>>(px, pu, py, x.Length); break;
                default: Map<TKernel, SimdScalar, float>(px, pu, py, x.Length); break;
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Map<TKernel, TOps, TVec>(float* x, float* y, int n)
        where TKernel : IUnaryKernel
        where TOps : struct, ISimdOps<TVec>
        where TVec : struct
    {
        int w = TOps.Count;
        int i = 0;
        for (; i <= n - w; i += w)
            TOps.Store(y + i, TKernel.Invoke<TOps, TVec>(TOps.Load(x + i)));
        for (; i < n; i++)
            y[i] = TKernel.Invoke<SimdScalar, float>(x[i]);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Map<TKernel, TOps, TVec>(float* x, float* u, float* y, int n)
        where TKernel : IBinaryKernel
        where TOps : struct, ISimdOps<TVec>
        where TVec : struct
    {
        int w = TOps.Count;
        int i = 0;
        for (; i <= n - w; i += w)
            TOps.Store(y + i, TKernel.Invoke<TOps, TVec>(TOps.Load(x + i), TOps.Load(u + i)));
        for (; i < n; i++)
            y[i] = TKernel.Invoke<SimdScalar, float>(x[i], u[i]);
    }
}
