using Baton.Models;
using Baton.Numerics;

namespace Baton.Tests.Data;

public class TokenSamplerTests
{
    [Fact]
    public void Temperature_zero_is_greedy_with_ties_to_the_lowest_id()
    {
        var sampler = new TokenSampler(4);
        Assert.Equal(1, sampler.Next([0f, 3f, 3f, -1f], 0, 0, 1, new Rng(1)));
    }

    [Fact]
    public void Top_k_one_always_picks_the_most_likely_token()
    {
        var sampler = new TokenSampler(3);
        var rng = new Rng(5);
        for (int i = 0; i < 50; i++)
            Assert.Equal(2, sampler.Next([1f, 1.5f, 2f], 1, 1, 1, rng));
    }

    [Fact]
    public void Top_p_keeps_only_the_nucleus()
    {
        // Probabilities ≈ [0.665, 0.245, 0.090]: top-p 0.6 keeps only token 0, 0.8 keeps tokens 0 and 1.
        var sampler = new TokenSampler(3);
        var rng = new Rng(9);
        float[] logits = [2f, 1f, 0f];
        var seen = new HashSet<int>();
        for (int i = 0; i < 300; i++)
            Assert.Equal(0, sampler.Next(logits, 1, 0, 0.6f, rng));
        for (int i = 0; i < 300; i++)
            seen.Add(sampler.Next(logits, 1, 0, 0.8f, rng));
        Assert.Equal([0, 1], seen.Order());
    }

    [Fact]
    public void Sampling_frequencies_follow_the_softmax()
    {
        var sampler = new TokenSampler(2);
        var rng = new Rng(3);
        int ones = 0;
        const int draws = 20000;
        for (int i = 0; i < draws; i++)
            ones += sampler.Next([0f, MathF.Log(3f)], 1, 0, 1, rng);
        // p(1) = 0.75; 20000 draws give a standard error of about 0.003.
        Assert.InRange(ones / (double)draws, 0.74, 0.76);
    }
}
