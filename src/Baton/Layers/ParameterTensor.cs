namespace Baton.Layers;

/// <summary>A named slice of a <see cref="Parameters"/> block, with its PyTorch name and shape.</summary>
internal sealed class ParameterTensor(string name, int offset, int[] shape)
{
    /// <summary>The PyTorch state-dict name, e.g. <c>rnn.weight_ih_l0</c>.</summary>
    public string Name { get; } = name;

    /// <summary>Offset of the first element in the flat block.</summary>
    public int Offset { get; } = offset;

    /// <summary>Row-major shape.</summary>
    public int[] Shape { get; } = shape;

    /// <summary>Number of elements.</summary>
    public int Length { get; } = shape.Aggregate(1, (a, b) => a * b);
}
