using Baton.Numerics;

namespace Baton.Lab.Tasks;

/// <summary>
/// The copy task (Hochreiter &amp; Schmidhuber 1997; Arjovsky et al. 2016), at a fixed total length T:
/// S symbols drawn from K, blanks, a "go" marker at step T − S − 1, and blanks again while the model
/// must reproduce the S symbols in order on the last S steps. Inputs are one-hot over K + 2 tokens
/// (the K symbols, blank, go). Scored by accuracy on the S answers; chance is 1/K.
/// </summary>
internal sealed class CopyTask(int symbols = 8, int span = 5) : MemoryTask
{
    /// <summary>Alphabet size K.</summary>
    public int Symbols { get; } = symbols >= 2 ? symbols : throw new ArgumentOutOfRangeException(nameof(symbols));

    /// <summary>Symbols to remember, S.</summary>
    public int Span { get; } = span >= 1 ? span : throw new ArgumentOutOfRangeException(nameof(span));

    private int Blank => Symbols;
    private int Go => Symbols + 1;

    /// <inheritdoc/>
    public override string Name => "copy";

    /// <inheritdoc/>
    public override int Features => Symbols + 2;

    /// <inheritdoc/>
    public override int Classes => Symbols;

    /// <inheritdoc/>
    public override int OutputSteps => Span;

    /// <inheritdoc/>
    public override int MinLength => 2 * Span + 1;

    /// <summary>1/K: guessing.</summary>
    public override double Baseline => 1.0 / Symbols;

    /// <inheritdoc/>
    public override void Fill(TaskBatch batch, Rng rng)
    {
        ArgumentNullException.ThrowIfNull(batch);
        ArgumentNullException.ThrowIfNull(rng);
        int T = batch.T;
        Array.Clear(batch.Inputs);
        for (int b = 0; b < batch.B; b++)
        {
            for (int t = 0; t < T; t++)
            {
                int token;
                if (t < Span)
                {
                    token = rng.NextInt(Symbols);
                    batch.Labels[t * batch.B + b] = token;
                }
                else
                {
                    token = t == T - Span - 1 ? Go : Blank;
                }
                batch.Input(t, b)[token] = 1f;
            }
        }
    }
}
