namespace Baton.Layers;

/// <summary>
/// Every buffer a <see cref="RecurrentStack"/> needs for Forward and Backward: the packed layout, each layer's
/// input and output, the caches Forward keeps for Backward, the state and gradient buffers. Create one per
/// concurrent caller with <see cref="RecurrentStack.CreateWorkspace"/> and reuse it; it grows (allocates) only
/// when a call needs more steps or sequences than it has held so far.
/// </summary>
internal sealed class RecurrentWorkspace
{
    private readonly RecurrentStack stack;
    private int rowCapacity;
    private int batchCapacity;

    internal RecurrentWorkspace(RecurrentStack stack, int maxT, int maxB)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxT, 1, nameof(maxT));
        ArgumentOutOfRangeException.ThrowIfLessThan(maxB, 1, nameof(maxB));
        this.stack = stack;
        int LD = stack.Options.Layers * stack.Directions;
        Caches = new LayerCache[LD];
        for (int ld = 0; ld < LD; ld++)
            Caches[ld] = stack.Layer(ld).CreateCache();
        layerInputs = new float[stack.Options.Layers][];
        Masks = new float[stack.Options.Layers][];
        outputs = new float[LD][];
        dOutputs = new float[LD][];
        H0 = new float[LD][];
        C0 = new float[LD][];
        Hn = new float[LD][];
        Cn = new float[LD][];
        DHn = new float[LD][];
        DCn = new float[LD][];
        DH0 = new float[LD][];
        DC0 = new float[LD][];
        Ensure(maxT, maxB);
        for (int ld = 0; ld < LD; ld++)
            Caches[ld].Ensure(maxT * maxB, maxB);
    }

    internal RecurrentStack Stack => stack;

    /// <summary>The layout of the last Forward.</summary>
    internal PackedBatch Batch { get; } = new();

    /// <summary>Per layer-direction caches of the last Forward.</summary>
    internal LayerCache[] Caches { get; }

    /// <summary>
    /// [N, I_l] packed input of layer l (layer 0: the packed x; later layers: the directions' outputs side by side, dropped
    /// out). Made on first use: a Forward that keeps the caller's x (<see cref="KeptInput"/>) never needs layer 0's, and
    /// a layer above one direction without dropout reads the output below in place.
    /// </summary>
    internal float[] LayerInput(int l) =>
        layerInputs[l] ??= new float[rowCapacity * (l == 0 ? stack.Options.InputSize : stack.OutputSize)];

    private readonly float[]?[] layerInputs;

    /// <summary>The caller's x, when the last Forward read it in place and Backward reads it again (else empty).</summary>
    internal ReadOnlyMemory<float> KeptInput { get; set; }

    /// <summary>[L][N, I_l] dropout mask (0 or 1/(1-p)) applied to the input of layers 1..L-1.</summary>
    internal float[][] Masks { get; }

    /// <summary>
    /// [N, S] packed output of layer-direction <paramref name="ld"/>. Made on first use: a Forward that writes the last
    /// layer's output straight into the caller's y (<see cref="KeptOutput"/>) never needs that one.
    /// </summary>
    internal float[] Output(int ld) => outputs[ld] ??= new float[rowCapacity * stack.StateSize];

    private readonly float[]?[] outputs;

    /// <summary>The caller's y, when the last Forward wrote the last layer's output there and Backward reads it again (else empty).</summary>
    internal ReadOnlyMemory<float> KeptOutput { get; set; }

    /// <summary>
    /// [N, S] gradient of layer-direction <paramref name="ld"/>'s output, for when it cannot be read where it already is
    /// (see <see cref="RecurrentStack.Backward"/>). Made on first use.
    /// </summary>
    internal float[] DOutput(int ld) => dOutputs[ld] ??= new float[rowCapacity * stack.StateSize];

    private readonly float[]?[] dOutputs;

    /// <summary>
    /// [N, max I_l] gradient of layer l's input, in buffer l mod 2: layer l − 1 reads it as its output gradient while
    /// writing its own input gradient into the other. Made on first use: a one-layer stack trained without an input
    /// gradient never needs either.
    /// </summary>
    internal float[] DInput(int layer) => dInputs[layer & 1] ??= new float[dInputLength];

    private readonly float[]?[] dInputs = new float[2][];
    private int dInputLength;

    /// <summary>[L*D][B, ·] states and their gradients in sorted row order.</summary>
    internal float[][] H0 { get; }
    internal float[][] C0 { get; }
    internal float[][] Hn { get; }
    internal float[][] Cn { get; }
    internal float[][] DHn { get; }
    internal float[][] DCn { get; }
    internal float[][] DH0 { get; }
    internal float[][] DC0 { get; }

    /// <summary>[T*B*max(I, O)] staging for the batch-first entry points.</summary>
    internal float[] BatchFirstIn { get; private set; } = [];
    internal float[] BatchFirstOut { get; private set; } = [];

    /// <summary>True once Forward has filled the caches.</summary>
    internal bool HasForward { get; set; }

    /// <summary>Whether the last Forward applied dropout masks.</summary>
    internal bool DropoutApplied { get; set; }

    /// <summary>Grows every stack-level buffer to hold T steps of B sequences.</summary>
    internal void Ensure(int steps, int batch)
    {
        int rows = steps * batch;
        if (rows <= rowCapacity && batch <= batchCapacity)
            return;
        rows = Math.Max(rows, rowCapacity);
        batch = Math.Max(batch, batchCapacity);
        var o = stack.Options;
        int D = stack.Directions, S = stack.StateSize, Hc = stack.HasCellState ? o.HiddenSize : 0;
        int maxInput = Math.Max(o.InputSize, stack.OutputSize);
        for (int l = 0; l < o.Layers; l++)
        {
            int inputSize = l == 0 ? o.InputSize : stack.OutputSize;
            layerInputs[l] = null;
            if (l > 0 && o.Dropout > 0)
                Masks[l] = new float[rows * inputSize];
        }
        for (int ld = 0; ld < o.Layers * D; ld++)
        {
            outputs[ld] = null;
            dOutputs[ld] = null;
            H0[ld] = new float[batch * S];
            Hn[ld] = new float[batch * S];
            DHn[ld] = new float[batch * S];
            DH0[ld] = new float[batch * S];
            C0[ld] = new float[batch * Hc];
            Cn[ld] = new float[batch * Hc];
            DCn[ld] = new float[batch * Hc];
            DC0[ld] = new float[batch * Hc];
        }
        dInputs[0] = dInputs[1] = null;
        dInputLength = rows * maxInput;
        rowCapacity = rows;
        batchCapacity = batch;
        HasForward = false;
    }

    /// <summary>Grows the batch-first staging buffers.</summary>
    internal void EnsureBatchFirst(int elements)
    {
        if (BatchFirstIn.Length < elements)
        {
            BatchFirstIn = new float[elements];
            BatchFirstOut = new float[elements];
        }
    }
}
