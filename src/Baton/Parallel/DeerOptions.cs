namespace Baton.Parallel;

/// <summary>Options of <see cref="Deer.Evaluate"/>.</summary>
/// <param name="Variant">The linear solve of each iteration.</param>
/// <param name="MaxIterations">Newton iterations before falling back to the sequential loop (0 = T, DEER's exact bound).</param>
/// <param name="Tolerance">Converged when max_t |s_t − f(s_{t−1}, x_t)| ≤ this (the residual of the fixed-point equations).</param>
/// <param name="InitialRadius">Damped only: the first trust radius ρ (max-abs change of any state per step).</param>
internal sealed record DeerOptions(DeerVariant Variant = DeerVariant.Quasi, int MaxIterations = 0, float Tolerance = 1e-6f,
    float InitialRadius = 1f);
