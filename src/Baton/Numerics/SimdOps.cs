using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Baton.Numerics;

/// <summary>
/// The vector operations that Baton's generic kernels are written against. One kernel body,
/// instantiated with <see cref="Simd512"/>, <see cref="Simd256"/>, <see cref="Simd128"/> or
/// <see cref="SimdScalar"/>, gives the Vector512 / Vector256 / Vector128 paths and the scalar twin.
/// Multiply-add is fused wherever the hardware has FMA, in every path alike.
/// </summary>
internal interface ISimdOps<TVec> where TVec : struct
{
    /// <summary>True when this width is hardware accelerated on this machine.</summary>
    static abstract bool IsSupported { get; }

    /// <summary>Floats per vector.</summary>
    static abstract int Count { get; }

    /// <summary>Vectors per row of the GEMM micro-tile (so NR = GemmVectors · Count); sized to the register file.</summary>
    static abstract int GemmVectors { get; }

    static abstract TVec Zero { get; }
    static abstract TVec Broadcast(float x);
    /// <summary>Every lane = *p, loaded straight into the vector (one broadcast load where the instruction set has it).</summary>
    static abstract unsafe TVec BroadcastFrom(float* p);
    static abstract unsafe TVec Load(float* p);
    static abstract unsafe void Store(float* p, TVec v);
    static abstract TVec Add(TVec a, TVec b);
    static abstract TVec Subtract(TVec a, TVec b);
    static abstract TVec Multiply(TVec a, TVec b);
    static abstract TVec Divide(TVec a, TVec b);
    /// <summary>a · b + c (fused where the hardware has FMA).</summary>
    static abstract TVec MultiplyAdd(TVec a, TVec b, TVec c);
    static abstract TVec Max(TVec a, TVec b);
    static abstract TVec Min(TVec a, TVec b);
    static abstract TVec Abs(TVec a);
    static abstract TVec Exp(TVec a);
    /// <summary>Lane-wise: mask lanes (all bits set where a &lt; b) select <paramref name="ifTrue"/>.</summary>
    static abstract TVec SelectLessThan(TVec a, TVec b, TVec ifTrue, TVec ifFalse);
    /// <summary>Copies the sign bit of <paramref name="sign"/> onto <paramref name="magnitude"/>.</summary>
    static abstract TVec CopySign(TVec magnitude, TVec sign);
    /// <summary>Rounds each lane to the nearest integer, ties to even.</summary>
    static abstract TVec Round(TVec a);
    /// <summary>2^n for lanes holding integers n in [−126, 127], assembled from the exponent bits.</summary>
    static abstract TVec Pow2(TVec n);

    /// <summary>
    /// 1.5·2^23: adding it to an integral float n below 2^22 in magnitude leaves n in the low mantissa bits, so
    /// <see cref="Pow2"/> needs an add and a shift rather than a (saturating, hence slower) float-to-int conversion.
    /// </summary>
    const float Pow2Bias = 12582912f;

    /// <summary>127 − the bits of <see cref="Pow2Bias"/>: bits(n + bias) + this = n + 127, the biased exponent.</summary>
    const int Pow2Exponent = 127 - 0x4B400000;
    static abstract float Sum(TVec a);
    static abstract float MaxAcross(TVec a);
}

internal readonly struct Simd512 : ISimdOps<Vector512<float>>
{
    public static bool IsSupported => Vector512.IsHardwareAccelerated;
    public static int Count => Vector512<float>.Count;
    public static int GemmVectors => 4;
    public static Vector512<float> Zero => Vector512<float>.Zero;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Broadcast(float x) => Vector512.Create(x);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static unsafe Vector512<float> BroadcastFrom(float* p) => Vector512.Create(*p);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static unsafe Vector512<float> Load(float* p) => Vector512.Load(p);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static unsafe void Store(float* p, Vector512<float> v) => v.Store(p);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Add(Vector512<float> a, Vector512<float> b) => a + b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Subtract(Vector512<float> a, Vector512<float> b) => a - b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Multiply(Vector512<float> a, Vector512<float> b) => a * b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Divide(Vector512<float> a, Vector512<float> b) => a / b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> MultiplyAdd(Vector512<float> a, Vector512<float> b, Vector512<float> c) => Vector512.MultiplyAddEstimate(a, b, c);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Max(Vector512<float> a, Vector512<float> b) => Vector512.Max(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Min(Vector512<float> a, Vector512<float> b) => Vector512.Min(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Abs(Vector512<float> a) => Vector512.Abs(a);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Exp(Vector512<float> a) => Vector512.Exp(a);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> SelectLessThan(Vector512<float> a, Vector512<float> b, Vector512<float> t, Vector512<float> f) => Vector512.ConditionalSelect(Vector512.LessThan(a, b), t, f);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> CopySign(Vector512<float> m, Vector512<float> s) => Vector512.CopySign(m, s);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Round(Vector512<float> a) => Vector512.Round(a);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Pow2(Vector512<float> n) => (((n + Vector512.Create(ISimdOps<float>.Pow2Bias)).AsInt32() + Vector512.Create(ISimdOps<float>.Pow2Exponent)) << 23).AsSingle();
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Sum(Vector512<float> a) => Vector512.Sum(a);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float MaxAcross(Vector512<float> a) => Simd256.MaxAcross(Vector256.Max(a.GetLower(), a.GetUpper()));
}

internal readonly struct Simd256 : ISimdOps<Vector256<float>>
{
    public static bool IsSupported => Vector256.IsHardwareAccelerated;
    public static int Count => Vector256<float>.Count;
    // With AVX-512VL there are 32 vector registers: a 6×4-vector tile fits; with AVX2's 16, a 6×2 tile.
    public static int GemmVectors => Avx512F.VL.IsSupported ? 4 : 2;
    public static Vector256<float> Zero => Vector256<float>.Zero;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Broadcast(float x) => Vector256.Create(x);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static unsafe Vector256<float> BroadcastFrom(float* p) => Vector256.Create(*p);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static unsafe Vector256<float> Load(float* p) => Vector256.Load(p);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static unsafe void Store(float* p, Vector256<float> v) => v.Store(p);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Add(Vector256<float> a, Vector256<float> b) => a + b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Subtract(Vector256<float> a, Vector256<float> b) => a - b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Multiply(Vector256<float> a, Vector256<float> b) => a * b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Divide(Vector256<float> a, Vector256<float> b) => a / b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> MultiplyAdd(Vector256<float> a, Vector256<float> b, Vector256<float> c) => Vector256.MultiplyAddEstimate(a, b, c);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Max(Vector256<float> a, Vector256<float> b) => Vector256.Max(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Min(Vector256<float> a, Vector256<float> b) => Vector256.Min(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Abs(Vector256<float> a) => Vector256.Abs(a);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Exp(Vector256<float> a) => Vector256.Exp(a);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> SelectLessThan(Vector256<float> a, Vector256<float> b, Vector256<float> t, Vector256<float> f) => Vector256.ConditionalSelect(Vector256.LessThan(a, b), t, f);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> CopySign(Vector256<float> m, Vector256<float> s) => Vector256.CopySign(m, s);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Round(Vector256<float> a) => Vector256.Round(a);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Pow2(Vector256<float> n) => (((n + Vector256.Create(ISimdOps<float>.Pow2Bias)).AsInt32() + Vector256.Create(ISimdOps<float>.Pow2Exponent)) << 23).AsSingle();
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Sum(Vector256<float> a) => Vector256.Sum(a);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float MaxAcross(Vector256<float> a) => Simd128.MaxAcross(Vector128.Max(a.GetLower(), a.GetUpper()));
}

internal readonly struct Simd128 : ISimdOps<Vector128<float>>
{
    public static bool IsSupported => Vector128.IsHardwareAccelerated;
    public static int Count => Vector128<float>.Count;
    public static int GemmVectors => 2;
    public static Vector128<float> Zero => Vector128<float>.Zero;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Broadcast(float x) => Vector128.Create(x);
    // Without AVX2 the JIT builds Vector128.Create(*p) as a scalar load and a shuffle; AVX's vbroadcastss is one load.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static unsafe Vector128<float> BroadcastFrom(float* p) => Avx.IsSupported ? Avx.BroadcastScalarToVector128(p) : Vector128.Create(*p);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static unsafe Vector128<float> Load(float* p) => Vector128.Load(p);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static unsafe void Store(float* p, Vector128<float> v) => v.Store(p);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Add(Vector128<float> a, Vector128<float> b) => a + b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Subtract(Vector128<float> a, Vector128<float> b) => a - b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Multiply(Vector128<float> a, Vector128<float> b) => a * b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Divide(Vector128<float> a, Vector128<float> b) => a / b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> MultiplyAdd(Vector128<float> a, Vector128<float> b, Vector128<float> c) => Vector128.MultiplyAddEstimate(a, b, c);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Max(Vector128<float> a, Vector128<float> b) => Vector128.Max(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Min(Vector128<float> a, Vector128<float> b) => Vector128.Min(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Abs(Vector128<float> a) => Vector128.Abs(a);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Exp(Vector128<float> a) => Vector128.Exp(a);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> SelectLessThan(Vector128<float> a, Vector128<float> b, Vector128<float> t, Vector128<float> f) => Vector128.ConditionalSelect(Vector128.LessThan(a, b), t, f);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> CopySign(Vector128<float> m, Vector128<float> s) => Vector128.CopySign(m, s);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Round(Vector128<float> a) => Vector128.Round(a);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Pow2(Vector128<float> n) => (((n + Vector128.Create(ISimdOps<float>.Pow2Bias)).AsInt32() + Vector128.Create(ISimdOps<float>.Pow2Exponent)) << 23).AsSingle();
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Sum(Vector128<float> a) => Vector128.Sum(a);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float MaxAcross(Vector128<float> a) => MathF.Max(MathF.Max(a.GetElement(0), a.GetElement(1)), MathF.Max(a.GetElement(2), a.GetElement(3)));
}

/// <summary>The scalar twin: a "vector" of one float, so the generic kernels run unchanged.</summary>
internal readonly struct SimdScalar : ISimdOps<float>
{
    public static bool IsSupported => true;
    public static int Count => 1;
    public static int GemmVectors => 4;
    public static float Zero => 0f;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Broadcast(float x) => x;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static unsafe float BroadcastFrom(float* p) => *p;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static unsafe float Load(float* p) => *p;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static unsafe void Store(float* p, float v) => *p = v;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Add(float a, float b) => a + b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Subtract(float a, float b) => a - b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Multiply(float a, float b) => a * b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Divide(float a, float b) => a / b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float MultiplyAdd(float a, float b, float c) => float.MultiplyAddEstimate(a, b, c);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Max(float a, float b) => MathF.Max(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Min(float a, float b) => MathF.Min(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Abs(float a) => MathF.Abs(a);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Exp(float a) => MathF.Exp(a);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float SelectLessThan(float a, float b, float t, float f) => a < b ? t : f;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float CopySign(float m, float s) => MathF.CopySign(m, s);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Round(float a) => MathF.Round(a);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Pow2(float n) => BitConverter.Int32BitsToSingle((BitConverter.SingleToInt32Bits(n + ISimdOps<float>.Pow2Bias) + ISimdOps<float>.Pow2Exponent) << 23);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Sum(float a) => a;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float MaxAcross(float a) => a;
}
