using Baton.Numerics;

namespace Baton.Lab.Tasks;

/// <summary>
/// The adding problem (Hochreiter &amp; Schmidhuber 1997; in the form of Le et al. 2015): each step is a
/// pair (value ~ U(0,1), marker ∈ {0,1}); exactly two markers are set, one in the first half and one
/// in the second; the target at the last step is the sum of the two marked values. Predicting the
/// constant 1 scores the variance of a sum of two U(0,1), 2/12 ≈ 0.167.
/// </summary>
internal sealed class AddingTask : MemoryTask
{
    /// <inheritdoc/>
    public override string Name => "adding";

    /// <inheritdoc/>
    public override int Features => 2;

    /// <inheritdoc/>
    public override int Classes => 0;

    /// <inheritdoc/>
    public override int OutputSteps => 1;

    /// <inheritdoc/>
    public override int MinLength => 2;

    /// <summary>Var(U₁ + U₂) = 1/6, the MSE of always answering 1.</summary>
    public override double Baseline => 1.0 / 6.0;

    /// <inheritdoc/>
    public override void Fill(TaskBatch batch, Rng rng)
    {
        ArgumentNullException.ThrowIfNull(batch);
        ArgumentNullException.ThrowIfNull(rng);
        int T = batch.T;
        int half = T / 2;
        for (int b = 0; b < batch.B; b++)
        {
            for (int t = 0; t < T; t++)
            {
                var x = batch.Input(t, b);
                x[0] = rng.NextFloat();
                x[1] = 0f;
            }
            int first = rng.NextInt(half);
            int second = half + rng.NextInt(T - half);
            batch.Input(first, b)[1] = 1f;
            batch.Input(second, b)[1] = 1f;
            batch.Targets[b] = batch.Input(first, b)[0] + batch.Input(second, b)[0];
        }
    }
}
