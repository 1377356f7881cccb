using Baton.Numerics;

namespace Baton.Lab.Tasks;

/// <summary>
/// The article's example "我肚子饿了，我想去__" (I am hungry, I want to go and __): a cause token at
/// step 0, T − 2 filler tokens, then the query "我想去" at the last step, where the answer is the
/// completion that belongs to the cause. Inputs are one-hot over causes, fillers and the query.
/// Scored by accuracy; chance is 1/C.
/// </summary>
internal sealed class RecallTask(int fillers = 8) : MemoryTask
{
    /// <summary>The causes, in class order.</summary>
    public static readonly string[] Causes = ["我肚子饿了", "我口渴了", "我困了", "我冷了"];

    /// <summary>The completion each cause calls for after "我想去".</summary>
    public static readonly string[] Completions = ["吃饭", "喝水", "睡觉", "穿衣服"];

    /// <summary>Distinct filler tokens (words that carry no information about the answer).</summary>
    public int Fillers { get; } = fillers >= 1 ? fillers : throw new ArgumentOutOfRangeException(nameof(fillers));

    private int Query => Causes.Length + Fillers;

    /// <inheritdoc/>
    public override string Name => "recall";

    /// <inheritdoc/>
    public override int Features => Causes.Length + Fillers + 1;

    /// <inheritdoc/>
    public override int Classes => Causes.Length;

    /// <inheritdoc/>
    public override int OutputSteps => 1;

    /// <inheritdoc/>
    public override int MinLength => 2;

    /// <summary>1/C: guessing among the completions.</summary>
    public override double Baseline => 1.0 / Causes.Length;

    /// <inheritdoc/>
    public override void Fill(TaskBatch batch, Rng rng)
    {
        ArgumentNullException.ThrowIfNull(batch);
        ArgumentNullException.ThrowIfNull(rng);
        int T = batch.T;
        Array.Clear(batch.Inputs);
        for (int b = 0; b < batch.B; b++)
        {
            int cause = rng.NextInt(Causes.Length);
            batch.Input(0, b)[cause] = 1f;
            for (int t = 1; t < T - 1; t++)
                batch.Input(t, b)[Causes.Length + rng.NextInt(Fillers)] = 1f;
            batch.Input(T - 1, b)[Query] = 1f;
            batch.Labels[b] = cause;
        }
    }
}
