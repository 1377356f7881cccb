using Baton.Numerics;

namespace Baton.Layers;

/// <summary>
/// y = x · Wᵀ + b, PyTorch's nn.Linear: weight [out, in] and bias [out] registered as {prefix}weight, {prefix}bias.
/// </summary>
internal sealed class Linear
{
    private readonly Parameters parameters;
    private readonly ParameterTensor weight; // [O, I]
    private readonly ParameterTensor bias;   // [O]

    /// <summary>Registers {prefix}weight [outFeatures, inFeatures] and {prefix}bias [outFeatures].</summary>
    public Linear(int inFeatures, int outFeatures, Parameters p, string prefix)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(inFeatures, 1, nameof(inFeatures));
        ArgumentOutOfRangeException.ThrowIfLessThan(outFeatures, 1, nameof(outFeatures));
        ArgumentNullException.ThrowIfNull(p);
        ArgumentNullException.ThrowIfNull(prefix);
        parameters = p;
        InFeatures = inFeatures;
        OutFeatures = outFeatures;
        weight = p.Add($"{prefix}weight", outFeatures, inFeatures);
        bias = p.Add($"{prefix}bias", outFeatures);
    }

    /// <summary>Input width I.</summary>
    public int InFeatures { get; }

    /// <summary>Output width O.</summary>
    public int OutFeatures { get; }

    /// <summary>PyTorch's init: weight and bias U(-1/sqrt(I), 1/sqrt(I)), weight first.</summary>
    public void ResetParameters(Rng rng)
    {
        ArgumentNullException.ThrowIfNull(rng);
        float bound = 1f / MathF.Sqrt(InFeatures);
        foreach (ref float v in parameters.Value(weight))
            v = rng.Uniform(-bound, bound);
        foreach (ref float v in parameters.Value(bias))
            v = rng.Uniform(-bound, bound);
        parameters.MarkChanged();
    }

    /// <summary>y [rows, O] = x [rows, I] · Wᵀ + b.</summary>
    public void Forward(ReadOnlySpan<float> x, int rows, Span<float> y)
    {
        int I = InFeatures, O = OutFeatures;
        ArgumentOutOfRangeException.ThrowIfNegative(rows, nameof(rows));
        if (x.Length != rows * I)
            throw new ArgumentException($"x has {x.Length} values; expected rows*InFeatures = {rows}*{I}.", nameof(x));
        if (y.Length != rows * O)
            throw new ArgumentException($"y has {y.Length} values; expected rows*OutFeatures = {rows}*{O}.", nameof(y));
        if (rows == 0)
            return;
        Gemm.Sgemm(false, true, rows, O, I, 1f, x, I, parameters.Value(weight), I, 0f, y, O);
        RowMath.AddBias(y, rows, parameters.Value(bias));
    }

    /// <summary>dW += dyᵀ · x, db += column sums of dy, dx [rows, I] = dy · W (overwritten; empty = skip).</summary>
    public void Backward(ReadOnlySpan<float> x, ReadOnlySpan<float> dy, int rows, Span<float> dx)
    {
        int I = InFeatures, O = OutFeatures;
        ArgumentOutOfRangeException.ThrowIfNegative(rows, nameof(rows));
        if (x.Length != rows * I)
            throw new ArgumentException($"x has {x.Length} values; expected rows*InFeatures = {rows}*{I}.", nameof(x));
        if (dy.Length != rows * O)
            throw new ArgumentException($"dy has {dy.Length} values; expected rows*OutFeatures = {rows}*{O}.", nameof(dy));
        if (!dx.IsEmpty && dx.Length != rows * I)
            throw new ArgumentException($"dx has {dx.Length} values; expected rows*InFeatures = {rows}*{I}.", nameof(dx));
        if (rows == 0)
            return;
        Gemm.Sgemm(true, false, O, I, rows, 1f, dy, O, x, I, 1f, parameters.Gradient(weight), I);
        RowMath.AddColumnSums(dy, rows, parameters.Gradient(bias));
        if (!dx.IsEmpty)
            Gemm.Sgemm(false, false, rows, I, O, 1f, dy, O, parameters.Value(weight), I, 0f, dx, I);
    }
}
