using System.Runtime.Intrinsics;
using Baton.Numerics;

namespace Baton.Tests.Numerics;

public class PolynomialExpTests
{
    /// <summary>About two float ulps: the polynomial is within one, the final product rounds once more.</summary>
    private const double ExpRelativeTolerance = 2.5e-7;

    /// <summary>1 / (1 + e) adds one more rounding.</summary>
    private const double SigmoidRelativeTolerance = 4e-7;

    private static float Exp(SimdPath path, float x) => path switch
    {
        SimdPath.Vector512 => VectorMath<Simd512, Vector512<float>>.PolynomialExp(Vector512.Create(x)).GetElement(0),
        SimdPath.Vector256 => VectorMath<Simd256, Vector256<float>>.PolynomialExp(Vector256.Create(x)).GetElement(0),
        SimdPath.Vector128 => VectorMath<Simd128, Vector128<float>>.PolynomialExp(Vector128.Create(x)).GetElement(0),
        _ => VectorMath<SimdScalar, float>.PolynomialExp(x),
    };

    private static float Sigmoid(SimdPath path, float x) => path switch
    {
        SimdPath.Vector512 => VectorMath<Simd512, Vector512<float>>.Sigmoid(Vector512.Create(x)).GetElement(0),
        SimdPath.Vector256 => VectorMath<Simd256, Vector256<float>>.Sigmoid(Vector256.Create(x)).GetElement(0),
        SimdPath.Vector128 => VectorMath<Simd128, Vector128<float>>.Sigmoid(Vector128.Create(x)).GetElement(0),
        _ => VectorMath<SimdScalar, float>.Sigmoid(x),
    };

    [Fact]
    public void Exp_is_within_two_ulps_on_every_path_over_the_whole_float_range()
    {
        foreach (var path in SimdPaths.Supported)
            for (int i = 0; i <= 100_000; i++)
            {
                float x = -87f + 175f * i / 100_000f;
                double expected = Math.Exp(x);
                float actual = Exp(path, x);
                Assert.True(Math.Abs(actual - expected) <= ExpRelativeTolerance * expected, $"{path} e^{x}: {actual}, expected {expected}");
            }
    }

    [Fact]
    public void Exp_and_sigmoid_saturate_without_infinity_or_nan()
    {
        foreach (var path in SimdPaths.Supported)
            foreach (float x in new[] { -1e4f, -200f, -88f, 88.5f, 100f, 1e4f })
            {
                float e = Exp(path, x);
                Assert.True(float.IsFinite(e) && e > 0, $"{path} e^{x} = {e}");
                Assert.True(x < 0 ? e < 1.3e-38f : e > 1.6e38f, $"{path} e^{x} = {e}");
                float s = Sigmoid(path, x);
                Assert.True(x < 0 ? s is >= 0f and < 1e-37f : s == 1f, $"{path} σ({x}) = {s}");
            }
    }

    [Fact]
    public void Sigmoid_is_within_a_few_ulps_of_the_exact_value()
    {
        foreach (var path in SimdPaths.Supported)
            for (int i = 0; i <= 20_000; i++)
            {
                float x = -30f + 60f * i / 20_000f;
                double expected = 1 / (1 + Math.Exp(-x));
                float actual = Sigmoid(path, x);
                Assert.True(Math.Abs(actual - expected) <= SigmoidRelativeTolerance * expected, $"{path} σ({x}): {actual}, expected {expected}");
            }
    }
}
