namespace Baton.Layers;

/// <summary>
/// One layer-direction of a <see cref="RecurrentStack"/> (one set of weights, e.g. <c>weight_ih_l1_reverse</c>).
/// The stack owns the layout and the plumbing (sorting by length, packing, concatenating directions, dropout,
/// unpacking); a layer only runs its recurrence over packed data. The cells that run step by step (Elman, LSTM, GRU)
/// derive from <see cref="RecurrentCell"/>, which leaves them a block forward and a block backward step and runs the
/// time loop through <see cref="StepScheduler"/>; the parallel-in-time cells derive from this class directly
/// (<see cref="MinRecurrentLayer"/>). <c>RecurrentStack.CreateLayer</c> constructs them.
/// <para>
/// Layout (see <see cref="PackedBatch"/>): every [N, F] buffer is packed, step t's rows are
/// batch.Offsets[t] .. batch.Offsets[t] + batch.BatchSizes[t] - 1, and the sequences running at step t are the
/// sorted rows 0 .. BatchSizes[t] - 1. Per-sequence state buffers [B, F] are in the same sorted row order.
/// A forward-direction layer visits t = 0 .. T-1; a reverse one (<see cref="Reverse"/>) visits t = T-1 .. 0,
/// so each sequence starts from h0 at its own last step. A row not running at a step keeps its state untouched,
/// which gives pack_padded_sequence's final states for free.
/// </para>
/// <para>
/// Contract for implementations: no allocation in Forward/Backward/Step except inside
/// <see cref="LayerCache.Ensure"/> when the batch grows; never keep per-call state in the layer itself
/// (several threads share one layer with different caches and stream states); parameter gradients are
/// accumulated (+=) into <see cref="Parameters.Grad"/>.
/// </para>
/// </summary>
internal abstract class RecurrentLayer(Parameters parameters, int inputSize, int stateSize, int cellSize, bool reverse)
{
    /// <summary>The block that holds this layer's tensors.</summary>
    protected Parameters Parameters { get; } = parameters;

    /// <summary>Width I of the layer's input.</summary>
    public int InputSize { get; } = inputSize;

    /// <summary>Width S of h and of the layer's output y.</summary>
    public int StateSize { get; } = stateSize;

    /// <summary>Width of the cell state c (LSTM: H), 0 when the cell has none.</summary>
    public int CellSize { get; } = cellSize;

    /// <summary>True for the backward direction of a bidirectional layer.</summary>
    public bool Reverse { get; } = reverse;

    /// <summary>This layer's tensors in registration order (the order <c>ResetParameters</c> fills them).</summary>
    public abstract IReadOnlyList<ParameterTensor> Tensors { get; }

    /// <summary>Creates the buffers that one Forward caches for its Backward (sized lazily by Ensure).</summary>
    public abstract LayerCache CreateCache();

    /// <summary>
    /// Runs the recurrence. x: [N, InputSize] packed. h0: [B, StateSize], c0: [B, CellSize] (sorted rows; the stack
    /// passes zeros when the caller gave none). y: [N, StateSize] overwritten. hn / cn: [B, ·] overwritten with each
    /// row's state after its last step. Caches in <paramref name="cache"/> what Backward needs.
    /// </summary>
    public abstract void Forward(LayerCache cache, PackedBatch batch, ReadOnlySpan<float> x,
        ReadOnlySpan<float> h0, ReadOnlySpan<float> c0, Span<float> y, Span<float> hn, Span<float> cn);

    /// <summary>
    /// Backpropagation through time for the last Forward on <paramref name="cache"/>. x, h0, c0, y: that Forward's input,
    /// initial states and output, unchanged since (the layer keeps no copy of them). dy: [N, StateSize]; dhn: [B, StateSize]; dcn: [B, CellSize] (zeros when none). dx: [N, InputSize]
    /// accumulated (+=), empty = skip. dh0 / dc0 overwritten. Parameter gradients accumulated.
    /// truncateBefore: the state handed between step truncateBefore-1 and step truncateBefore (in either
    /// direction) is treated as a constant, like h.detach() there; 0 = full BPTT.
    /// </summary>
    public abstract void Backward(LayerCache cache, PackedBatch batch, ReadOnlySpan<float> x, ReadOnlySpan<float> h0,
        ReadOnlySpan<float> c0, ReadOnlySpan<float> y,
        ReadOnlySpan<float> dy, ReadOnlySpan<float> dhn, ReadOnlySpan<float> dcn,
        Span<float> dx, Span<float> dh0, Span<float> dc0, int truncateBefore);

    /// <summary>
    /// Creates what one <see cref="StreamState"/> of <paramref name="batch"/> streams keeps for this layer between steps
    /// (its copy of the weights packed for <see cref="Step"/>, the step's buffers), sized once so that stepping allocates nothing.
    /// </summary>
    public abstract LayerCache CreateStepCache(int batch);

    /// <summary>
    /// Advances <paramref name="batch"/> independent streams by one step (forward direction only).
    /// cache: this stream's <see cref="CreateStepCache"/>; x: [B, InputSize]; h: [B, StateSize] and c: [B, CellSize]
    /// updated in place; y: [B, StateSize] receives the new h. Must give the same values as Forward.
    /// </summary>
    public abstract void Step(LayerCache cache, ReadOnlySpan<float> x, int batch, Span<float> h, Span<float> c, Span<float> y);
}

/// <summary>What a <see cref="RecurrentLayer"/>'s Forward keeps for its Backward; one per layer-direction per workspace.</summary>
internal abstract class LayerCache
{
    /// <summary>Rows (N) the buffers currently hold.</summary>
    public int RowCapacity { get; private set; }

    /// <summary>Batch (B) the per-sequence buffers currently hold.</summary>
    public int BatchCapacity { get; private set; }

    /// <summary>Grows the buffers to hold <paramref name="rows"/> packed rows and <paramref name="batch"/> sequences.</summary>
    public void Ensure(int rows, int batch)
    {
        if (rows <= RowCapacity && batch <= BatchCapacity)
            return;
        RowCapacity = Math.Max(rows, RowCapacity);
        BatchCapacity = Math.Max(batch, BatchCapacity);
        Allocate(RowCapacity, BatchCapacity);
    }

    /// <summary>Allocates every buffer for the given capacities.</summary>
    protected abstract void Allocate(int rows, int batch);
}
