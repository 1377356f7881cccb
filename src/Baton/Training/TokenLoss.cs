namespace Baton.Training;

/// <summary>A summed cross-entropy over <see cref="Count"/> tokens (padding excluded), in nats.</summary>
internal readonly record struct TokenLoss(double SumNats, long Count)
{
    /// <summary>Mean nats per token (NaN when no token counted).</summary>
    public double Mean => Count == 0 ? double.NaN : SumNats / Count;

    /// <summary>exp(mean nats).</summary>
    public double Perplexity => Math.Exp(Mean);

    /// <summary>Mean bits per token: mean nats / ln 2.</summary>
    public double BitsPerToken => Mean / Math.Log(2);

    /// <summary>The sum of two losses.</summary>
    public static TokenLoss operator +(TokenLoss a, TokenLoss b) => new(a.SumNats + b.SumNats, a.Count + b.Count);
}
