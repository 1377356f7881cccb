namespace Baton.Numerics;

/// <summary>
/// One-value forms of the activations, for code that works a value at a time (DEER's cell evaluations and Jacobians,
/// the min cells' scalar tails, the float64 reference cells) rather than through the SIMD kernels of
/// <see cref="Activations"/> and <see cref="VectorMath{TOps, TVec}"/>.
/// </summary>
internal static class ScalarMath
{
    /// <summary>σ(v) = 1 / (1 + e^{−v}) in float32 with <see cref="MathF.Exp"/>.</summary>
    public static float Sigmoid(float v) => 1f / (1f + MathF.Exp(-v));

    /// <summary>σ(v) = 1 / (1 + e^{−v}) in float64 with <see cref="Math.Exp"/>.</summary>
    public static double Sigmoid(double v) => 1 / (1 + Math.Exp(-v));
}
