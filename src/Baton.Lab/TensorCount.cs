namespace Baton.Lab;

/// <summary>One parameter tensor: its PyTorch state-dict name and shape.</summary>
internal sealed record TensorCount(string Name, int[] Shape)
{
    /// <summary>Number of scalars: the product of <see cref="Shape"/> (PyTorch's numel).</summary>
    public long Count => Shape.Aggregate(1L, (a, b) => a * b);
}
