using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.Arm;
using System.Runtime.Intrinsics.X86;

namespace Baton.Numerics;

/// <summary>Which instantiation of the generic kernels runs: a vector width, or the scalar twin.</summary>
internal enum SimdPath
{
    Scalar,
    Vector128,
    Vector256,
    Vector512,
}

/// <summary>Chooses the widest accelerated path on this machine.</summary>
internal static class SimdPaths
{
    /// <summary>The path the public kernels use.</summary>
    public static SimdPath Best { get; } =
        Vector512.IsHardwareAccelerated ? SimdPath.Vector512
        : Vector256.IsHardwareAccelerated ? SimdPath.Vector256
        : Vector128.IsHardwareAccelerated ? SimdPath.Vector128
        : SimdPath.Scalar;

    /// <summary>True when <paramref name="path"/> can run here.</summary>
    public static bool IsSupported(SimdPath path) => path switch
    {
        SimdPath.Vector512 => Vector512.IsHardwareAccelerated,
        SimdPath.Vector256 => Vector256.IsHardwareAccelerated,
        SimdPath.Vector128 => Vector128.IsHardwareAccelerated,
        _ => true,
    };

    /// <summary>
    /// The instruction set a path runs on this machine, as benchmark rows name it: "AVX-512", "AVX2" (with the note
    /// "AVX-512VL registers" where the 256-bit kernels have 32 vector registers), "128-bit" (NEON, SSE with FMA, or SSE
    /// without FMA, as on <c>DOTNET_EnableAVX2=0</c>), or "scalar".
    /// </summary>
    public static string Describe(SimdPath path) => path switch
    {
        SimdPath.Vector512 => "AVX-512",
        SimdPath.Vector256 when Avx512F.VL.IsSupported => "AVX2 (AVX-512VL registers)",
        SimdPath.Vector256 => Fma.IsSupported ? "AVX2" : "AVX2 (no FMA)",
        SimdPath.Vector128 when AdvSimd.IsSupported => "128-bit (NEON)",
        SimdPath.Vector128 => Fma.IsSupported ? "128-bit (SSE, FMA)" : "128-bit (SSE, no FMA)",
        _ => "scalar",
    };

    /// <summary>All paths that can run here, widest first.</summary>
    public static SimdPath[] Supported { get; } =
        [.. new[] { SimdPath.Vector512, SimdPath.Vector256, SimdPath.Vector128, SimdPath.Scalar }.Where(IsSupported)];
}
