namespace Baton.Parallel;

/// <summary>Which linear system each DEER iteration solves.</summary>
internal enum DeerVariant
{
    /// <summary>
    /// DEER (Lim et al., ICLR 2024): the full D×D Jacobian J_t; the linearised recurrence
    /// s_t = J_t s_{t−1} + (f(s̄_{t−1}, x_t) − J_t s̄_{t−1}) is solved by a matrix recurrence (D² per row and step).
    /// Newton's method: quadratic convergence, at most T iterations in exact arithmetic.
    /// </summary>
    Full,

    /// <summary>Quasi-DEER: only diag(J_t), so each iteration is one elementwise <see cref="Numerics.LinearScan"/> over N = B·D channels.</summary>
    Quasi,

    /// <summary>
    /// Quasi-DEER with an ELK-style trust region (after Gonzalez et al. 2024): the Newton step Δ is scaled to
    /// α·Δ with max|α·Δ| ≤ ρ; a step that does not lower the residual is rejected and ρ shrinks fourfold, an
    /// accepted one doubles it. Costs one more evaluation of f per rejected step; survives guesses where the
    /// undamped iteration overflows. Once ρ falls below <see cref="Deer.MinTrustRadius"/> the residual is at its
    /// float32 rounding floor, and it falls back to the sequential loop without waiting for the iteration cap.
    /// </summary>
    Damped,
}
