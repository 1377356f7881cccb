namespace Baton.Parallel;

/// <summary>What <see cref="Deer.Evaluate"/> did.</summary>
/// <param name="Iterations">Newton updates applied (including rejected damped trials).</param>
/// <param name="Evaluations">Evaluations of f over all T·B rows (each one GEMM of T·B × H by H × G·H).</param>
/// <param name="Converged">True when the residual reached the tolerance.</param>
/// <param name="FellBack">True when it did not and the sequential loop produced the output.</param>
/// <param name="Residual">The last max-abs residual of the iteration.</param>
internal sealed record DeerResult(int Iterations, int Evaluations, bool Converged, bool FellBack, float Residual);
