using Baton.Numerics;

namespace Baton.Models;

/// <summary>
/// Picks the next token from logits. Temperature 0 is greedy (argmax, ties to the lowest id) and
/// deterministic. Otherwise p_i ∝ exp(z_i / T), restricted to the <c>topK</c> most likely tokens
/// (0 = all) and then to the smallest set whose probability reaches <c>topP</c> (1 = all), renormalised.
/// Scratch buffers are reused, so sampling allocates nothing per token.
/// </summary>
internal sealed class TokenSampler
{
    private readonly float[] probs;
    private readonly int[] order;
    private readonly Comparison<int> mostLikelyFirst;

    /// <summary>A sampler for a vocabulary of <paramref name="vocabulary"/> tokens.</summary>
    public TokenSampler(int vocabulary)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(vocabulary, 1, nameof(vocabulary));
        probs = new float[vocabulary];
        order = new int[vocabulary];
        // Ties keep the lower id first so that the result is deterministic. A Comparison sorted through Span.Sort,
        // not an IComparer through Array.Sort, which wraps the comparer in a new delegate on every call.
        mostLikelyFirst = (a, b) => probs[b] != probs[a] ? probs[b].CompareTo(probs[a]) : a.CompareTo(b);
    }

    /// <summary>Returns the id of the chosen token.</summary>
    public int Next(ReadOnlySpan<float> logits, float temperature, int topK, float topP, Rng rng)
    {
        if (logits.Length != probs.Length)
            throw new ArgumentException($"Expected {probs.Length} logits, got {logits.Length}.", nameof(logits));
        ArgumentOutOfRangeException.ThrowIfNegative(temperature, nameof(temperature));
        ArgumentOutOfRangeException.ThrowIfNegative(topK, nameof(topK));
        if (!(topP > 0 && topP <= 1))
            throw new ArgumentOutOfRangeException(nameof(topP), topP, "top-p must be in (0, 1].");
        if (temperature == 0)
            return ArgMax(logits);

        int n = logits.Length;
        float max = float.NegativeInfinity;
        foreach (float z in logits)
            max = Math.Max(max, z);
        double sum = 0;
        for (int i = 0; i < n; i++)
        {
            probs[i] = MathF.Exp((logits[i] - max) / temperature);
            sum += probs[i];
            order[i] = i;
        }
        int kept = n;
        if (topK > 0 || topP < 1)
        {
            order.AsSpan(0, n).Sort(mostLikelyFirst);
            if (topK > 0)
                kept = Math.Min(kept, topK);
            if (topP < 1)
            {
                double cumulative = 0;
                for (int i = 0; i < kept; i++)
                {
                    cumulative += probs[order[i]] / sum;
                    if (cumulative >= topP)
                    {
                        kept = i + 1;
                        break;
                    }
                }
            }
            sum = 0;
            for (int i = 0; i < kept; i++)
                sum += probs[order[i]];
        }
        double target = rng.NextDouble() * sum;
        double running = 0;
        for (int i = 0; i < kept; i++)
        {
            running += probs[order[i]];
            if (running > target)
                return order[i];
        }
        return order[kept - 1];
    }

    /// <summary>The index of the largest logit (the lowest index among ties).</summary>
    public static int ArgMax(ReadOnlySpan<float> logits)
    {
        int best = 0;
        for (int i = 1; i < logits.Length; i++)
        {
            if (logits[i] > logits[best])
                best = i;
        }
        return best;
    }
}
