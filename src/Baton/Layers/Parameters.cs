namespace Baton.Layers;

/// <summary>
/// All parameters of a model in one flat <see cref="Data"/> array and their gradients in a second
/// array <see cref="Grad"/> of the same shape, with named slices. Layers register their tensors with
/// <see cref="Add"/> while being built; <see cref="Freeze"/> then allocates both arrays once.
/// </summary>
internal sealed class Parameters
{
    private readonly List<ParameterTensor> tensors = [];
    private readonly Dictionary<string, ParameterTensor> byName = new(StringComparer.Ordinal);
    private int length;
    private long version;

    /// <summary>Parameter values (empty until <see cref="Freeze"/>).</summary>
    public float[] Data { get; private set; } = [];

    /// <summary>Gradients, same layout as <see cref="Data"/>. Backward passes accumulate into it.</summary>
    public float[] Grad { get; private set; } = [];

    /// <summary>True once the arrays are allocated.</summary>
    public bool IsFrozen { get; private set; }

    /// <summary>The tensors in registration order.</summary>
    public IReadOnlyList<ParameterTensor> Tensors => tensors;

    /// <summary>Total number of scalars.</summary>
    public int Count => length;

    /// <summary>Registers a tensor; allowed only before <see cref="Freeze"/>.</summary>
    public ParameterTensor Add(string name, params int[] shape)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        if (IsFrozen)
            throw new InvalidOperationException($"Cannot add '{name}': parameters are frozen.");
        foreach (int d in shape)
            ArgumentOutOfRangeException.ThrowIfNegative(d, nameof(shape));
        if (byName.ContainsKey(name))
            throw new ArgumentException($"Parameter '{name}' is already registered.", nameof(name));
        var tensor = new ParameterTensor(name, length, shape);
        tensors.Add(tensor);
        byName.Add(name, tensor);
        length += tensor.Length;
        return tensor;
    }

    /// <summary>Allocates <see cref="Data"/> and <see cref="Grad"/>.</summary>
    public void Freeze()
    {
        if (IsFrozen)
            return;
        Data = new float[length];
        Grad = new float[length];
        IsFrozen = true;
        MarkChanged();
    }

    /// <summary>
    /// A count that moves whenever the values may have changed: Baton's own writers (initialisation, optimizer steps,
    /// loading a model file, restoring the best forecast weights) call <see cref="MarkChanged"/>. Copies derived from
    /// the values, such as the packed weights a <see cref="StreamState"/> steps with, are made again when it moves.
    /// </summary>
    public long Version => Volatile.Read(ref version);

    /// <summary>
    /// Records that the values changed. Call it after writing <see cref="Data"/> or a <see cref="Value"/> span
    /// directly, so that existing stream states read the new weights at their next step.
    /// </summary>
    public void MarkChanged() => Interlocked.Increment(ref version);

    /// <summary>Looks a tensor up by its PyTorch name.</summary>
    public ParameterTensor this[string name] =>
        byName.TryGetValue(name, out var t) ? t : throw new KeyNotFoundException($"No parameter named '{name}'.");

    /// <summary>Tries to look a tensor up by name.</summary>
    public bool TryGet(string name, out ParameterTensor tensor) => byName.TryGetValue(name, out tensor!);

    /// <summary>The values of <paramref name="tensor"/>.</summary>
    public Span<float> Value(ParameterTensor tensor) => Data.AsSpan(tensor.Offset, tensor.Length);

    /// <summary>The gradient of <paramref name="tensor"/>.</summary>
    public Span<float> Gradient(ParameterTensor tensor) => Grad.AsSpan(tensor.Offset, tensor.Length);

    /// <summary>Sets every gradient to zero.</summary>
    public void ZeroGrad() => Array.Clear(Grad);
}
