using System.Runtime.InteropServices;
using Baton.Layers;
using Baton.Models;
using Baton.Training;
using ILGPU;
using ILGPU.Runtime;

namespace Baton.Gpu;

/// <summary>
/// Trains a <see cref="SequenceModel"/> on an accelerator, for <see cref="Trainer.UseEngine"/>: a language model (<c>lm</c>: embedding →
/// unidirectional LSTM, GRU, Elman or minGRU layers → linear head at every step, cross-entropy with padding ignored), a forecaster
/// (<c>forecast</c>: features → layers → head on the last layer's final state, MSE over the horizon outputs) or a classifier
/// (<c>classify</c>: the same on the final state, cross-entropy weighted per class when asked), the final-state tasks over
/// sequences of their own lengths. The weights, gradients and optimizer state live in device memory as one flat block each, in
/// the host's <see cref="Parameters"/> layout, so clipping and the optimizer are single kernels over them. Per batch the inputs
/// (token ids or features), the targets and the lengths are sent once; forward and backward through time run as one product
/// (<see cref="GpuTrainKernels.MatMul"/>) and one cell kernel per step and layer; only the per-row losses (for MSE the
/// differences) and the norm's partial sums come back. Buffers are sized for <c>maxT</c> steps of <c>maxB</c> streams.
/// Not thread-safe.
/// </summary>
internal sealed class GpuTrainer : ITrainingEngine
{
    private readonly Accelerator acc;
    private readonly GpuTrainKernelSet k;
    private readonly GpuRecurrentStack stack;
    private readonly TaskKind task;
    private readonly bool perStep;                                                  // lm: a head row per step; else one per sequence
    private readonly int I, H, O, maxT, maxB;
    private readonly ParameterTensor? embedding;
    private readonly ParameterTensor headWeight, headBias;
    private readonly MemoryBuffer1D<float, Stride1D.Dense> parameters, gradients;   // [P]
    private readonly Dictionary<string, MemoryBuffer1D<float, Stride1D.Dense>> optimizerState = new(StringComparer.Ordinal);
    private readonly MemoryBuffer1D<float, Stride1D.Dense> unused;                  // [1] for an optimizer state the options do not keep
    private readonly MemoryBuffer1D<int, Stride1D.Dense> ids;                       // [T, B] token ids (lm)
    private readonly MemoryBuffer1D<int, Stride1D.Dense> targets;                   // [T, B] next tokens (lm), [B] labels (classify)
    private readonly MemoryBuffer1D<float, Stride1D.Dense> classWeights;            // [O] w_c (all ones without class weights)
    private readonly MemoryBuffer1D<float, Stride1D.Dense> regressionTargets;       // [B, O] (forecast)
    private readonly MemoryBuffer1D<float, Stride1D.Dense> difference;              // [B, O] prediction − target (forecast)
    private readonly MemoryBuffer1D<float, Stride1D.Dense> x, dx;                  // [T, B, I]: the embedded tokens or the features; dx (lm) their gradient
    private readonly MemoryBuffer1D<float, Stride1D.Dense> logits, dLogits;        // [rows, O], rows = T·B (lm) or B
    private readonly MemoryBuffer1D<float, Stride1D.Dense> rowLoss;                // [rows]
    private readonly MemoryBuffer1D<double, Stride1D.Dense> partial;               // [⌈P / NormChunk⌉]
    private readonly float[] rowLossHost, differenceHost;
    private readonly float[]? classWeightsHost;
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
        task = config.TaskKind;
        perStep = config.OutputsPerStep;
        (I, H, O) = (model.InputWidth, config.Hidden, config.OutputSize);
        (this.maxT, this.maxB) = (maxT, maxB);
        var p = model.Parameters;
        embedding = config.UsesEmbedding ? p["embedding.weight"] : null;
        headWeight = p["head.weight"];
        headBias = p["head.bias"];
        k = new GpuTrainKernelSet(acc);
        stack = new GpuRecurrentStack(acc, k, config.Cell, I, config.Hidden, config.Layers, p, "rnn.", maxT, maxB);
        long steps = (long)maxT * maxB, rows = perStep ? steps : maxB;
        parameters = acc.Allocate1D<float>(p.Count);
        gradients = acc.Allocate1D<float>(p.Count);
        unused = acc.Allocate1D<float>(1);
        ids = acc.Allocate1D<int>(embedding is null ? 1 : steps);
        targets = acc.Allocate1D<int>(rows);
        classWeights = acc.Allocate1D<float>(O);
        classWeightsHost = options?.ClassWeights;
        var weights = new float[O];
        Array.Fill(weights, 1f);
        classWeightsHost?.CopyTo(weights, 0);
        classWeights.View.CopyFromCPU(weights);
        bool regression = task == TaskKind.Forecast;
        regressionTargets = acc.Allocate1D<float>(regression ? rows * O : 1);
        difference = acc.Allocate1D<float>(regression ? rows * O : 1);
        differenceHost = new float[regression ? rows * O : 1];
        x = acc.Allocate1D<float>(steps * I);
        dx = acc.Allocate1D<float>(embedding is null ? 1 : steps * I);
        logits = acc.Allocate1D<float>(rows * O);
        dLogits = acc.Allocate1D<float>(rows * O);
        rowLoss = acc.Allocate1D<float>(rows);
        int chunks = (p.Count + GpuTrainKernels.NormChunk - 1) / GpuTrainKernels.NormChunk;
        partial = acc.Allocate1D<double>(chunks);
        partialHost = new double[chunks];
        rowLossHost = new float[rows];
    }

    /// <summary>
    /// Null when the device path trains <paramref name="config"/> with <paramref name="options"/>; else what it lacks: tasks other
    /// than lm, forecast and classify, cells other than lstm / gru / rnn / rnn_relu / mingru (and mingru for classify, whose
    /// sequences have their own lengths), bidirectional layers, projections; and for
    /// training (options not null) dropout, the RMSprop optimizer and regression losses other than MSE.
    /// </summary>
    public static string? Unsupported(ModelConfig config, TrainerOptions? options)
    {
        ArgumentNullException.ThrowIfNull(config);
        if (config.TaskKind is not (TaskKind.Lm or TaskKind.Forecast or TaskKind.Classify))
            return $"task '{config.Task}' (lm, forecast, classify)";
        if (config.CellKind is not (CellKind.Lstm or CellKind.Gru or CellKind.Rnn or CellKind.MinGru))
            return $"the {config.Cell} cell (lstm, gru, rnn, rnn_relu, mingru)";
        if (config.CellKind == CellKind.MinGru && config.TaskKind == TaskKind.Classify)
            return "the mingru cell for classify (sequences of their own lengths)";
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
        if (config.TaskKind == TaskKind.Forecast && options.RegressionLoss != "mse")
            return $"the {options.RegressionLoss} loss (mse)";
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
        double sum;
        switch (task)
        {
            case TaskKind.Forecast:
            {
                // F.mse_loss: mean (p − t)² over the B·O outputs; dp = 2(p − t) / n.
                int n = B * O;
                k.MeanSquareError(n, logits.View, regressionTargets.View, dLogits.View, difference.View, 2f / n);
                difference.View.SubView(0, n).CopyToCPU(ref differenceHost[0], n);
                sum = 0;
                for (int i = 0; i < n; i++)
                    sum += (double)differenceHost[i] * differenceHost[i];
                break;
            }
            case TaskKind.Classify:
            {
                // (1/B) Σ_r w[y_r] · loss_r (every weight 1 without class weights); dLogits_r = w[y_r] (softmax − onehot) / B.
                k.CrossEntropy(B, logits.View, targets.View, classWeights.View, dLogits.View, rowLoss.View, O, Losses.IgnoreIndex, (float)(1.0 / B));
                rowLoss.View.SubView(0, B).CopyToCPU(ref rowLossHost[0], B);
                sum = 0;
                for (int r = 0; r < B; r++)
                    sum += (classWeightsHost is null ? 1.0 : classWeightsHost[batch.Labels[r]]) * rowLossHost[r];
                break;
            }
            default:
                k.CrossEntropy(T * B, logits.View, targets.View, classWeights.View, dLogits.View, rowLoss.View, O, Losses.IgnoreIndex,
                    count == 0 ? 0f : (float)(1.0 / count));
                sum = RowLossSum();
                break;
        }
        gradients.View.MemSetToZero();
        Backward();
        return count == 0 ? double.NaN : sum / count;
    }

    /// <summary>
    /// Forward only over <paramref name="batch"/> (a language model's) from the carried state (zero after <see cref="ResetState"/>):
    /// the summed cross-entropy over its counted targets. The caller carries the state on with <see cref="CarryState"/>.
    /// </summary>
    public TokenLoss Score(TrainingBatch batch)
    {
        if (task != TaskKind.Lm)
            throw new InvalidOperationException($"Score reads a language model's batches, not task '{task}'.");
        long count = Send(batch);
        Forward();
        k.CrossEntropy(T * B, logits.View, targets.View, classWeights.View, dLogits.View, rowLoss.View, O, Losses.IgnoreIndex, 0f);
        return new TokenLoss(RowLossSum(), count);
    }

    /// <summary>
    /// Checks <paramref name="batch"/>, sends its inputs, targets and lengths, and returns the number of values the loss averages
    /// over: counted tokens (lm), sequences (classify) or outputs B·O (forecast).
    /// </summary>
    private long Send(TrainingBatch batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        if (batch.T < 1 || batch.T > maxT || batch.B < 1 || batch.B > maxB)
            throw new ArgumentException($"The batch is {batch.T} steps × {batch.B} streams; the device trainer holds at most {maxT} × {maxB}.", nameof(batch));
        (T, B) = (batch.T, batch.B);
        int rows = T * B;
        bool shorter = false;
        if (batch.HasLengths)
        {
            foreach (int length in batch.Lengths.AsSpan(0, B))
            {
                if (length < 1 || length > T)
                    throw new ArgumentOutOfRangeException(nameof(batch), $"length {length} is outside [1, {T}].");
                shorter |= length < T;
            }
        }
        if (shorter && perStep)
            throw new NotSupportedException("The device trainer does not support sequences of different lengths in a language model yet.");
        stack.SetLengths(shorter ? batch.Lengths.AsSpan(0, B) : default);
        if (embedding is null)
        {
            x.View.SubView(0, (long)rows * I).CopyFromCPU(ref MemoryMarshal.GetReference(batch.Features.AsSpan()), (long)rows * I);
        }
        else
        {
            foreach (int y in batch.Tokens.AsSpan(0, rows))
            {
                if ((uint)y >= (uint)O)
                    throw new ArgumentOutOfRangeException(nameof(batch), $"token id {y} is outside the vocabulary [0, {O}).");
            }
            ids.View.SubView(0, rows).CopyFromCPU(ref MemoryMarshal.GetReference(batch.Tokens.AsSpan()), rows);
        }
        switch (task)
        {
            case TaskKind.Forecast:
                regressionTargets.View.SubView(0, (long)B * O).CopyFromCPU(ref MemoryMarshal.GetReference(batch.Targets.AsSpan()), (long)B * O);
                return (long)B * O;
            case TaskKind.Classify:
                foreach (int y in batch.Labels.AsSpan(0, B))
                {
                    if ((uint)y >= (uint)O)
                        throw new ArgumentOutOfRangeException(nameof(batch), $"label {y} is outside [0, {O}).");
                }
                targets.View.SubView(0, B).CopyFromCPU(ref MemoryMarshal.GetReference(batch.Labels.AsSpan()), B);
                return B;
            default:
                long count = 0;
                foreach (int y in batch.TokenTargets.AsSpan(0, rows))
                {
                    if (y == Losses.IgnoreIndex)
                        continue;
                    if ((uint)y >= (uint)O)
                        throw new ArgumentOutOfRangeException(nameof(batch), $"target {y} is outside [0, {O}).");
                    count++;
                }
                targets.View.SubView(0, rows).CopyFromCPU(ref MemoryMarshal.GetReference(batch.TokenTargets.AsSpan()), rows);
                return count;
        }
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

    /// <summary>Rows of the head: one per step (lm) or one per sequence.</summary>
    private int HeadRows => perStep ? T * B : B;

    /// <summary>What the head reads: every step's output [T, B, H] (lm) or the final state [B, H].</summary>
    private ArrayView<float> HeadInput => perStep ? stack.Output : stack.FinalState;

    private void Forward()
    {
        int steps = T * B;
        var input = x.View.SubView(0, (long)steps * I);
        if (embedding is { } table)
            k.EmbeddingForward(steps * I, ids.View, Weights(table), input, I);
        stack.Forward(parameters.View, input, T, B);
        k.Linear(HeadRows * O, HeadInput, Weights(headWeight), Weights(headBias), logits.View, O, H);
    }

    private void Backward()
    {
        int steps = T * B, rows = HeadRows;
        // head: dW += dLogitsᵀ y, db += Σ_rows dLogits, dy = dLogits W (the final-state tasks: into the last step's slot, zero elsewhere)
        k.MatMul(O * H, dLogits.View, 1, O, HeadInput, H, 1, Grads(headWeight), H, rows, 1);
        k.ColumnSum(O, dLogits.View, Grads(headBias), O, rows);
        var dHeadInput = stack.DOutput;
        if (!perStep)
        {
            dHeadInput.MemSetToZero();
            dHeadInput = dHeadInput.SubView((long)(T - 1) * B * H, (long)B * H);
        }
        k.MatMul(rows * H, dLogits.View, O, 1, Weights(headWeight), H, 1, dHeadInput, H, O, 0);
        var input = x.View.SubView(0, (long)steps * I);
        if (embedding is { } table)
        {
            var dInput = dx.View.SubView(0, (long)steps * I);
            stack.Backward(parameters.View, gradients.View, input, dInput);
            k.EmbeddingBackward(I, ids.View, dInput, Grads(table), I, steps);
        }
        else
        {
            stack.Backward(parameters.View, gradients.View, input, default);
        }
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
        foreach (var buffer in new[] { parameters, gradients, unused, classWeights, regressionTargets, difference, x, dx, logits, dLogits, rowLoss })
            buffer.Dispose();
        ids.Dispose();
        targets.Dispose();
        partial.Dispose();
    }
}
