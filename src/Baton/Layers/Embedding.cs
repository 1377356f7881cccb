using Baton.Numerics;

namespace Baton.Layers;

/// <summary>y[r, :] = W[ids[r], :], PyTorch's nn.Embedding: weight [V, E] registered as {prefix}weight.</summary>
internal sealed class Embedding
{
    private readonly Parameters parameters;
    private readonly ParameterTensor weight; // [V, E]

    /// <summary>Registers {prefix}weight [vocab, dim].</summary>
    public Embedding(int vocab, int dim, Parameters p, string prefix)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(vocab, 1, nameof(vocab));
        ArgumentOutOfRangeException.ThrowIfLessThan(dim, 1, nameof(dim));
        ArgumentNullException.ThrowIfNull(p);
        ArgumentNullException.ThrowIfNull(prefix);
        parameters = p;
        Vocab = vocab;
        Dim = dim;
        weight = p.Add($"{prefix}weight", vocab, dim);
    }

    /// <summary>Vocabulary size V.</summary>
    public int Vocab { get; }

    /// <summary>Embedding width E.</summary>
    public int Dim { get; }

    /// <summary>PyTorch's init: weight N(0, 1).</summary>
    public void ResetParameters(Rng rng)
    {
        ArgumentNullException.ThrowIfNull(rng);
        foreach (ref float v in parameters.Value(weight))
            v = (float)rng.NextNormal();
        parameters.MarkChanged();
    }

    /// <summary>y [n, E] = rows ids[0..n) of W.</summary>
    public void Forward(ReadOnlySpan<int> ids, Span<float> y)
    {
        int E = Dim;
        if (y.Length != ids.Length * E)
            throw new ArgumentException($"y has {y.Length} values; expected ids.Length*Dim = {ids.Length}*{E}.", nameof(y));
        ReadOnlySpan<float> w = parameters.Value(weight);
        for (int r = 0; r < ids.Length; r++)
            w.Slice(CheckedId(ids[r]) * E, E).CopyTo(y.Slice(r * E, E));
    }

    /// <summary>dW[ids[r], :] += dy[r, :].</summary>
    public void Backward(ReadOnlySpan<int> ids, ReadOnlySpan<float> dy)
    {
        int E = Dim;
        if (dy.Length != ids.Length * E)
            throw new ArgumentException($"dy has {dy.Length} values; expected ids.Length*Dim = {ids.Length}*{E}.", nameof(dy));
        Span<float> dW = parameters.Gradient(weight);
        for (int r = 0; r < ids.Length; r++)
        {
            Span<float> row = dW.Slice(CheckedId(ids[r]) * E, E);
            System.Numerics.Tensors.TensorPrimitives.Add(row, dy.Slice(r * E, E), row);
        }
    }

    private int CheckedId(int id)
    {
        if ((uint)id >= (uint)Vocab)
            throw new ArgumentOutOfRangeException(nameof(id), id, $"Token id must be in 0..{Vocab - 1}.");
        return id;
    }
}
