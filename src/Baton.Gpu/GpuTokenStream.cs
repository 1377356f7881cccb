using Baton.Layers;
using Baton.Models;
using ILGPU;
using ILGPU.Runtime;

namespace Baton.Gpu;

/// <summary>
/// One stream of a language model (embedding → unidirectional LSTM / GRU / Elman stack → head) advanced a token at a time on
/// an accelerator: the weights are uploaded once; per step one token id goes up and the V logits come back.
/// </summary>
internal sealed class GpuTokenStream : ITokenStepper
{
    private readonly Accelerator acc;
    private readonly GpuTrainKernelSet k;
    private readonly GpuRecurrentStack stack;
    private readonly ParameterTensor embedding, headWeight, headBias;
    private readonly int E, H, V;
    private readonly MemoryBuffer1D<float, Stride1D.Dense> parameters;   // [P]
    private readonly MemoryBuffer1D<int, Stride1D.Dense> id;             // [1]
    private readonly MemoryBuffer1D<float, Stride1D.Dense> x;            // [1, E]
    private readonly MemoryBuffer1D<float, Stride1D.Dense> logits;       // [1, V]
    private readonly int[] idHost = new int[1];
    private readonly float[] logitsHost;

    /// <summary>Uploads the weights of <paramref name="model"/>; throws <see cref="NotSupportedException"/> for what the device stack does not run.</summary>
    public GpuTokenStream(GpuDevice device, SequenceModel model)
    {
        ArgumentNullException.ThrowIfNull(device);
        ArgumentNullException.ThrowIfNull(model);
        var config = model.Config;
        if (config.TaskKind != TaskKind.Lm || config.Bidirectional || config.ProjSize > 0
            || config.CellKind is not (CellKind.Lstm or CellKind.Gru or CellKind.Rnn))
            throw new NotSupportedException($"The device stream runs unidirectional lstm, gru and rnn language models without projection, not this {config.Cell} {config.Task} model.");
        acc = device.Accelerator;
        (E, H, V) = (config.Embedding, config.Hidden, config.OutputSize);
        var p = model.Parameters;
        embedding = p["embedding.weight"];
        headWeight = p["head.weight"];
        headBias = p["head.bias"];
        k = new GpuTrainKernelSet(acc);
        stack = new GpuRecurrentStack(acc, k, config.Cell, E, H, config.Layers, p, "rnn.", 1, 1);
        parameters = acc.Allocate1D<float>(p.Count);
        parameters.View.CopyFromCPU(p.Data);
        id = acc.Allocate1D<int>(1);
        x = acc.Allocate1D<float>(E);
        logits = acc.Allocate1D<float>(V);
        logitsHost = new float[V];
    }

    /// <inheritdoc/>
    public void Reset() => stack.ResetState();

    /// <inheritdoc/>
    public ReadOnlySpan<float> Step(int token)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(token);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(token, V);
        idHost[0] = token;
        id.View.CopyFromCPU(idHost);
        k.EmbeddingForward(E, id.View, parameters.View.SubView(embedding.Offset, embedding.Length), x.View, E);
        stack.Forward(parameters.View, x.View, 1, 1);
        k.Linear(V, stack.Output, parameters.View.SubView(headWeight.Offset, headWeight.Length), parameters.View.SubView(headBias.Offset, headBias.Length),
            logits.View, V, H);
        stack.CarryState();
        logits.View.CopyToCPU(logitsHost);
        return logitsHost;
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        stack.Dispose();
        parameters.Dispose();
        id.Dispose();
        x.Dispose();
        logits.Dispose();
    }
}
