using System.Runtime.InteropServices;
using Baton.Layers;
using Baton.Models;
using Baton.Training;
using ILGPU;
using ILGPU.Runtime;

namespace Baton.Gpu;

/// <summary>
/// Trains a language model (<c>lm</c>: embedding → unidirectional LSTM, GRU or Elman layers → linear head, cross-entropy with
/// padding ignored) on an accelerator, for <see cref="Trainer.UseEngine"/>. The weights, gradients and optimizer state live in
/// device memory as one flat block each, in the host's <see cref="Parameters"/> layout, so clipping and the optimizer are single
/// kernels over them. Per batch the token ids and targets are sent once; forward and backward through time run as one
/// product (<see cref="GpuTrainKernels.MatMul"/>) and one cell kernel per step and layer; only the per-row losses and the
/// norm's partial sums come back. Buffers are sized for <c>maxT</c> steps of <c>maxB</c> streams. Not thread-safe.
/// </summary>
internal sealed class GpuTrainer : ITrainingEngine
{
    private readonly Accelerator acc;
    private readonly GpuTrainKernelSet k;
    private readonly GpuRecurrentStack stack;
    private readonly int E, H, V, maxT, maxB;
    private readonly ParameterTensor embedding, headWeight, headBias;
    private readonly MemoryBuffer1D<float, Stride1D.Dense> parameters, gradients;   // [P]
    private readonly Dictionary<string, MemoryBuffer1D<float, Stride1D.Dense>> optimizerState = new(StringComparer.Ordinal);
    private readonly MemoryBuffer1D<float, Stride1D.Dense> unused;                  // [1] for an optimizer state the options do not keep
    private readonly MemoryBuffer1D<int, Stride1D.Dense> ids, targets;             // [T, B]
    private readonly MemoryBuffer1D<float, Stride1D.Dense> x, dx;                  // [T, B, E]
    private readonly MemoryBuffer1D<float, Stride1D.Dense> logits, dLogits;        // [T, B, V]
    private readonly MemoryBuffer1D<float, Stride1D.Dense> rowLoss;                // [T, B]
    private readonly MemoryBuffer1D<double, Stride1D.Dense> partial;               // [⌈P / NormChunk⌉]
    private readonly float[] rowLossHost;
    private readonly double[] partialHost;
    private int T, B;

    /// <summary>
    /// Allocates the device copy of <paramref name="model"/> for batches of up to <paramref name="maxT"/> steps and
    /// <paramref name="maxB"/> streams trained with <paramref name="options"/> (null: scoring only, see <see cref="Score"/>),
    /// and compiles the kernels; nothing is uploaded until <see cref="Push"/> or <see cref="UploadWeights"/>. Throws <see cref="NotSupportedException"/>, naming the part, for what the device path does not
    /// train yet (see <see cref="Unsupported"/>).
    /// </summary>
    public GpuTrainer(GpuDevice device, SequenceModel model, TrainerOptions? options, int maxT, int maxB)
    {
        ArgumentNullException.ThrowIfNull(device);
        ArgumentNullException.ThrowIfNull(model);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxT, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxB, 1);
        if (Unsupported(model.Config, options) is { } reason)
            throw new NotSupportedException($"The device trainer does not support {reason} yet (use --device cpu).");
        var config = model.Config;
        acc = device.Accelerator;
        (E, H, V) = (config.Embedding, config.Hidden, config.OutputSize);
        (this.maxT, this.maxB) = (maxT, maxB);
        var p = model.Parameters;
        embedding = p["embedding.weight"];
        headWeight = p["head.weight"];
        headBias = p["head.bias"];
        k = new GpuTrainKernelSet(acc);
        stack = new GpuRecurrentStack(acc, k, config.Cell, E, config.Hidden, config.Layers, p, "rnn.", maxT, maxB);
        long rows = (long)maxT * maxB;
        parameters = acc.Allocate1D<float>(p.Count);
        gradients = acc.Allocate1D<float>(p.Count);
        unused = acc.Allocate1D<float>(1);
        ids = acc.Allocate1D<int>(rows);
        targets = acc.Allocate1D<int>(rows);
        x = acc.Allocate1D<float>(rows * E);
        dx = acc.Allocate1D<float>(rows * E);
        logits = acc.Allocate1D<float>(rows * V);
        dLogits = acc.Allocate1D<float>(rows * V);
        rowLoss = acc.Allocate1D<float>(rows);
        int chunks = (p.Count + GpuTrainKernels.NormChunk - 1) / GpuTrainKernels.NormChunk;
        partial = acc.Allocate1D<double>(chunks);
        partialHost = new double[chunks];
        rowLossHost = new float[rows];
    }

    /// <summary>
    /// Null when the device path trains <paramref name="config"/> with <paramref name="options"/>; else what it lacks: tasks other
    /// than lm, cells other than lstm / gru / rnn / rnn_relu, bidirectional layers, projections; and for training (options not
    /// null) dropout and the RMSprop optimizer.
    /// </summary>
    public static string? Unsupported(ModelConfig config, TrainerOptions? options)
    {
        ArgumentNullException.ThrowIfNull(config);
        if (config.TaskKind != TaskKind.Lm)
            return $"task '{config.Task}' (only lm)";
        if (config.CellKind is not (CellKind.Lstm or CellKind.Gru or CellKind.Rnn))
            return $"the {config.Cell} cell (lstm, gru, rnn, rnn_relu)";
        if (config.Bidirectional)
            return "bidirectional layers";
        if (config.ProjSize > 0)
            return "LSTM projections";
        if (options is null)
            return null;
        if (config.Dropout > 0)
            return "dropout";
        if (options.Optimizer.Kind is not ("sgd" or "adam" or "adamw"))
            return $"the {options.Optimizer.Kind} optimizer (sgd, adam, adamw)";
        return null;
    }

    /// <inheritdoc/>
    public void Push(Parameters parameters, Optimizer optimizer, ReadOnlySpan<float> h0, ReadOnlySpan<float> c0)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        ArgumentNullException.ThrowIfNull(optimizer);
        UploadWeights(parameters);
        foreach (var (name, array) in optimizer.State)
        {
            if (!optimizerState.TryGetValue(name, out var buffer))
                optimizerState.Add(name, buffer = acc.Allocate1D<float>(array.Length));
            Upload(buffer.View, array);
        }
        stack.PushState(h0, c0);
        acc.Synchronize();
    }

    /// <summary>Copies the weights of <paramref name="parameters"/> to the device (all that <see cref="Score"/> needs).</summary>
    public void UploadWeights(Parameters parameters)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        Upload(this.parameters.View, parameters.Data);
    }

    /// <inheritdoc/>
    public void Pull(Parameters parameters, Optimizer optimizer, Span<float> h0, Span<float> c0)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        ArgumentNullException.ThrowIfNull(optimizer);
        acc.Synchronize();
        Download(this.parameters.View, parameters.Data);
        foreach (var (name, array) in optimizer.State)
            Download(optimizerState[name].View, array);
        stack.PullState(h0, c0);
    }

    /// <inheritdoc/>
    public void ResetState() => stack.ResetState();

    /// <inheritdoc/>
    public void CarryState() => stack.CarryState();

    /// <inheritdoc/>
    public double ForwardBackward(TrainingBatch batch)
    {
        long count = Send(batch);
        Forward();
        float gradScale = count == 0 ? 0f : (float)(1.0 / count);
        k.CrossEntropy(T * B, logits.View, targets.View, dLogits.View, rowLoss.View, V, Losses.IgnoreIndex, gradScale);
        gradients.View.MemSetToZero();
        Backward();
        double sum = RowLossSum();
        return count == 0 ? double.NaN : sum / count;
    }

    /// <summary>
    /// Forward only over <paramref name="batch"/> from the carried state (zero after <see cref="ResetState"/>): the summed
    /// cross-entropy over its counted targets. The caller carries the state on with <see cref="CarryState"/>.
    /// </summary>
    public TokenLoss Score(TrainingBatch batch)
    {
        long count = Send(batch);
        Forward();
        k.CrossEntropy(T * B, logits.View, targets.View, dLogits.View, rowLoss.View, V, Losses.IgnoreIndex, 0f);
        return new TokenLoss(RowLossSum(), count);
    }

    /// <summary>Checks <paramref name="batch"/>, sends its token ids and targets, and returns the number of targets counted.</summary>
    private long Send(TrainingBatch batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        if (batch.HasLengths)
            throw new NotSupportedException("The device trainer does not support sequences of different lengths yet.");
        if (batch.T < 1 || batch.T > maxT || batch.B < 1 || batch.B > maxB)
            throw new ArgumentException($"The batch is {batch.T} steps × {batch.B} streams; the device trainer holds at most {maxT} × {maxB}.", nameof(batch));
        (T, B) = (batch.T, batch.B);
        int rows = T * B;
        long count = 0;
        foreach (int y in batch.Tokens.AsSpan(0, rows))
        {
            if ((uint)y >= (uint)V)
                throw new ArgumentOutOfRangeException(nameof(batch), $"token id {y} is outside the vocabulary [0, {V}).");
        }
        foreach (int y in batch.TokenTargets.AsSpan(0, rows))
        {
            if (y == Losses.IgnoreIndex)
                continue;
            if ((uint)y >= (uint)V)
                throw new ArgumentOutOfRangeException(nameof(batch), $"target {y} is outside [0, {V}).");
            count++;
        }
        ids.View.SubView(0, rows).CopyFromCPU(ref MemoryMarshal.GetReference(batch.Tokens.AsSpan()), rows);
        targets.View.SubView(0, rows).CopyFromCPU(ref MemoryMarshal.GetReference(batch.TokenTargets.AsSpan()), rows);
        return count;
    }

    /// <summary>Σ of the per-row losses of the last <see cref="GpuTrainKernels.CrossEntropy"/>, in row order, in float64 (rows ignored count 0).</summary>
    private double RowLossSum()
    {
        int rows = T * B;
        rowLoss.View.SubView(0, rows).CopyToCPU(ref rowLossHost[0], rows);
        double sum = 0;
        for (int r = 0; r < rows; r++)
            sum += rowLossHost[r];
        return sum;
    }

    private ArrayView<float> Weights(ParameterTensor tensor) => parameters.View.SubView(tensor.Offset, tensor.Length);

    private ArrayView<float> Grads(ParameterTensor tensor) => gradients.View.SubView(tensor.Offset, tensor.Length);

    private void Forward()
    {
        int rows = T * B;
        k.EmbeddingForward(rows * E, ids.View, Weights(embedding), x.View, E);
        stack.Forward(parameters.View, x.View.SubView(0, (long)rows * E), T, B);
        k.Linear(rows * V, stack.Output, Weights(headWeight), Weights(headBias), logits.View, V, H);
    }

    private void Backward()
    {
        int rows = T * B;
        // head: dW += dLogitsᵀ y, db += Σ_rows dLogits, dy = dLogits W
        k.MatMul(V * H, dLogits.View, 1, V, stack.Output, H, 1, Grads(headWeight), H, rows, 1);
        k.ColumnSum(V, dLogits.View, Grads(headBias), V, rows);
        k.MatMul(rows * H, dLogits.View, V, 1, Weights(headWeight), H, 1, stack.DOutput, H, V, 0);
        stack.Backward(parameters.View, gradients.View, x.View.SubView(0, (long)rows * E), dx.View.SubView(0, (long)rows * E));
        k.EmbeddingBackward(E, ids.View, dx.View, Grads(embedding), E, rows);
    }

    /// <inheritdoc/>
    public double ClipGradients(float clipValue, double clipNorm)
    {
        int count = (int)gradients.Length;
        if (clipValue > 0)
            k.Clamp(count, gradients.View, clipValue);
        k.SquaresPartial(partialHost.Length, gradients.View, partial.View, count);
        partial.View.CopyToCPU(partialHost);
        double sum = 0;
        foreach (double s in partialHost)
            sum += s;
        double norm = Math.Sqrt(sum);
        if (clipNorm > 0)
        {
            double coefficient = clipNorm / (norm + 1e-6);
            if (double.IsFinite(norm) && coefficient < 1)
                k.Scale(count, gradients.View, (float)coefficient);
        }
        return norm;
    }

    /// <inheritdoc/>
    public void Step(Optimizer optimizer)
    {
        ArgumentNullException.ThrowIfNull(optimizer);
        optimizer.StepCount++;
        var o = optimizer.Options;
        int count = (int)parameters.Length;
        double lr = optimizer.LearningRate;
        double weightDecay = o.EffectiveWeightDecay;
        if (o.Kind is "adam" or "adamw")
        {
            double biasCorrection1 = 1 - Math.Pow(o.Beta1, optimizer.StepCount);
            double biasCorrection2 = 1 - Math.Pow(o.Beta2, optimizer.StepCount);
            var coefficients = new AdamCoefficients((float)o.Beta1, (float)(1 - o.Beta1), (float)o.Beta2, (float)(1 - o.Beta2), (float)-(lr / biasCorrection1),
                (float)Math.Sqrt(biasCorrection2), (float)o.Eps, (float)(1 - lr * weightDecay), (float)weightDecay, o.Kind == "adamw", o.Amsgrad);
            var vMax = o.Amsgrad ? optimizerState["max_exp_avg_sq"].View : unused.View;
            k.Adam(count, parameters.View, gradients.View, optimizerState["exp_avg"].View, optimizerState["exp_avg_sq"].View, vMax, coefficients);
        }
        else
        {
            bool momentum = o.Momentum != 0;
            int flags = (momentum ? 1 : 0) | (o.Nesterov ? 2 : 0) | (optimizer.StepCount == 1 ? 4 : 0);
            var buffer = momentum ? optimizerState["momentum_buffer"].View : unused.View;
            k.Sgd(count, parameters.View, gradients.View, buffer, (float)weightDecay, (float)o.Momentum, (float)(1 - o.Dampening), (float)-lr, flags);
        }
    }

    private static void Upload(ArrayView<float> target, ReadOnlySpan<float> source)
    {
        if (source.Length > 0)
            target.SubView(0, source.Length).CopyFromCPU(ref MemoryMarshal.GetReference(source), source.Length);
    }

    private static void Download(ArrayView<float> source, Span<float> target)
    {
        if (target.Length > 0)
            source.SubView(0, target.Length).CopyToCPU(ref MemoryMarshal.GetReference(target), target.Length);
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        stack.Dispose();
        foreach (var buffer in optimizerState.Values)
            buffer.Dispose();
        foreach (var buffer in new[] { parameters, gradients, unused, x, dx, logits, dLogits, rowLoss })
            buffer.Dispose();
        ids.Dispose();
        targets.Dispose();
        partial.Dispose();
    }
}
