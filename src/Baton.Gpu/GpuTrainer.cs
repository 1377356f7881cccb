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
    private sealed class Layer
    {
        public required int In;            // input width I_l
        public required ParameterTensor WeightIh, WeightHh, BiasIh, BiasHh;
        public required MemoryBuffer1D<float, Stride1D.Dense> Gx;      // [T, B, G·H] x W_ihᵀ + b_ih
        public required MemoryBuffer1D<float, Stride1D.Dense> Act;     // [T, B, 4H] gate activations (LSTM, GRU); unused for Elman
        public required MemoryBuffer1D<float, Stride1D.Dense> States;  // [T + 1, B, H]: slot 0 the carried h0, slot t + 1 h_t
        public required MemoryBuffer1D<float, Stride1D.Dense> Cells;   // [T + 1, B, H]: LSTM c, as States; unused otherwise
        public required MemoryBuffer1D<float, Stride1D.Dense> DGates;  // [T, B, G·H] pre-activation gradients of the input side
        public required MemoryBuffer1D<float, Stride1D.Dense> DGh;     // [T, B, G·H] of the recurrent side (GRU; else DGates)
        public required MemoryBuffer1D<float, Stride1D.Dense> DY;      // [T, B, H] gradient of this layer's output
    }

    private readonly Accelerator acc;
    private readonly CellKind cell;
    private readonly bool relu;
    private readonly int L, H, G, E, V, maxT, maxB;
    private readonly ParameterTensor embedding, headWeight, headBias;
    private readonly Layer[] layers;
    private readonly MemoryBuffer1D<float, Stride1D.Dense> parameters, gradients;   // [P]
    private readonly Dictionary<string, MemoryBuffer1D<float, Stride1D.Dense>> optimizerState = new(StringComparer.Ordinal);
    private readonly MemoryBuffer1D<float, Stride1D.Dense> unused;                  // [1] for kernel arguments a cell does not read
    private readonly MemoryBuffer1D<int, Stride1D.Dense> ids, targets;             // [T, B]
    private readonly MemoryBuffer1D<float, Stride1D.Dense> x, dx;                  // [T, B, E]
    private readonly MemoryBuffer1D<float, Stride1D.Dense> logits, dLogits;        // [T, B, V]
    private readonly MemoryBuffer1D<float, Stride1D.Dense> rowLoss;                // [T, B]
    private readonly MemoryBuffer1D<float, Stride1D.Dense> gh;                     // [B, G·H] h_{t−1} W_hhᵀ + b_hh
    private readonly MemoryBuffer1D<float, Stride1D.Dense> dhNext, dcNext;         // [B, H] gradient into the previous step
    private readonly MemoryBuffer1D<double, Stride1D.Dense> partial;               // [⌈P / NormChunk⌉]
    private readonly float[] rowLossHost;
    private readonly double[] partialHost;
    private int T, B;

    private readonly Action<Index1D, ArrayView<float>, int, int, ArrayView<float>, int, int, ArrayView<float>, int, int, int> matMul;
    private readonly Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int> linear;
    private readonly Action<Index1D, ArrayView<float>, ArrayView<float>, int, int> columnSum;
    private readonly Action<Index1D, ArrayView<int>, ArrayView<float>, ArrayView<float>, int> embeddingForward;
    private readonly Action<Index1D, ArrayView<int>, ArrayView<float>, ArrayView<float>, int, int> embeddingBackward;
    private readonly Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int> lstmForward;
    private readonly Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>,
        ArrayView<float>, int> lstmBackward;
    private readonly Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int> gruForward;
    private readonly Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int> gruBackward;
    private readonly Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, int> rnnForward;
    private readonly Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int> rnnBackward;
    private readonly Action<Index1D, ArrayView<float>, ArrayView<int>, ArrayView<float>, ArrayView<float>, int, int, float> crossEntropy;
    private readonly Action<Index1D, ArrayView<float>, ArrayView<double>, int> squaresPartial;
    private readonly Action<Index1D, ArrayView<float>, float> scale;
    private readonly Action<Index1D, ArrayView<float>, float> clamp;
    private readonly Action<Index1D, ArrayView<float>, ArrayView<float>> copy;
    private readonly Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, AdamCoefficients> adam;
    private readonly Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, float, float, float, float, int> sgd;

    /// <summary>
    /// Allocates the device copy of <paramref name="model"/> for batches of up to <paramref name="maxT"/> steps and
    /// <paramref name="maxB"/> streams trained with <paramref name="options"/>, and compiles the kernels; nothing is uploaded
    /// until <see cref="Push"/>. Throws <see cref="NotSupportedException"/>, naming the part, for what the device path does not
    /// train yet (see <see cref="Unsupported"/>).
    /// </summary>
    public GpuTrainer(GpuDevice device, SequenceModel model, TrainerOptions options, int maxT, int maxB)
    {
        ArgumentNullException.ThrowIfNull(device);
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxT, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxB, 1);
        if (Unsupported(model.Config, options) is { } reason)
            throw new NotSupportedException($"The device trainer does not support {reason} yet (use --device cpu).");
        var config = model.Config;
        acc = device.Accelerator;
        cell = config.CellKind;
        relu = config.Cell == "rnn_relu";
        (L, H, G, E, V) = (config.Layers, config.Hidden, cell.Gates(), config.Embedding, config.OutputSize);
        (this.maxT, this.maxB) = (maxT, maxB);
        var p = model.Parameters;
        embedding = p["embedding.weight"];
        headWeight = p["head.weight"];
        headBias = p["head.bias"];
        long rows = (long)maxT * maxB;
        unused = acc.Allocate1D<float>(1);
        layers = new Layer[L];
        for (int l = 0; l < L; l++)
        {
            var dGates = acc.Allocate1D<float>(rows * G * H);
            layers[l] = new Layer
            {
                In = l == 0 ? E : H,
                WeightIh = p[$"rnn.weight_ih_l{l}"],
                WeightHh = p[$"rnn.weight_hh_l{l}"],
                BiasIh = p[$"rnn.bias_ih_l{l}"],
                BiasHh = p[$"rnn.bias_hh_l{l}"],
                Gx = acc.Allocate1D<float>(rows * G * H),
                Act = cell == CellKind.Rnn ? unused : acc.Allocate1D<float>(rows * 4 * H),
                States = acc.Allocate1D<float>((maxT + 1L) * maxB * H),
                Cells = cell == CellKind.Lstm ? acc.Allocate1D<float>((maxT + 1L) * maxB * H) : unused,
                DGates = dGates,
                DGh = cell == CellKind.Gru ? acc.Allocate1D<float>(rows * G * H) : dGates,
                DY = acc.Allocate1D<float>(rows * H),
            };
        }
        parameters = acc.Allocate1D<float>(p.Count);
        gradients = acc.Allocate1D<float>(p.Count);
        ids = acc.Allocate1D<int>(rows);
        targets = acc.Allocate1D<int>(rows);
        x = acc.Allocate1D<float>(rows * E);
        dx = acc.Allocate1D<float>(rows * E);
        logits = acc.Allocate1D<float>(rows * V);
        dLogits = acc.Allocate1D<float>(rows * V);
        rowLoss = acc.Allocate1D<float>(rows);
        gh = acc.Allocate1D<float>((long)maxB * G * H);
        dhNext = acc.Allocate1D<float>((long)maxB * H);
        dcNext = acc.Allocate1D<float>((long)maxB * H);
        int chunks = (p.Count + GpuTrainKernels.NormChunk - 1) / GpuTrainKernels.NormChunk;
        partial = acc.Allocate1D<double>(chunks);
        partialHost = new double[chunks];
        rowLossHost = new float[rows];
        ResetState();

        matMul = acc.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, int, int, ArrayView<float>, int, int, ArrayView<float>, int, int, int>(GpuTrainKernels.MatMul);
        linear = acc.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int>(GpuTrainKernels.Linear);
        columnSum = acc.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, int, int>(GpuTrainKernels.ColumnSum);
        embeddingForward = acc.LoadAutoGroupedStreamKernel<Index1D, ArrayView<int>, ArrayView<float>, ArrayView<float>, int>(GpuTrainKernels.EmbeddingForward);
        embeddingBackward = acc.LoadAutoGroupedStreamKernel<Index1D, ArrayView<int>, ArrayView<float>, ArrayView<float>, int, int>(GpuTrainKernels.EmbeddingBackward);
        lstmForward = acc.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>,
            ArrayView<float>, int>(GpuTrainKernels.LstmForward);
        lstmBackward = acc.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>,
            ArrayView<float>, ArrayView<float>, int>(GpuTrainKernels.LstmBackward);
        gruForward = acc.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>,
            int>(GpuTrainKernels.GruForward);
        gruBackward = acc.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>,
            ArrayView<float>, int>(GpuTrainKernels.GruBackward);
        rnnForward = acc.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, int>(GpuTrainKernels.RnnForward);
        rnnBackward = acc.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int>(GpuTrainKernels.RnnBackward);
        crossEntropy = acc.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<int>, ArrayView<float>, ArrayView<float>, int, int, float>(GpuTrainKernels.CrossEntropy);
        squaresPartial = acc.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<double>, int>(GpuTrainKernels.SquaresPartial);
        scale = acc.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, float>(GpuTrainKernels.Scale);
        clamp = acc.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, float>(GpuTrainKernels.Clamp);
        copy = acc.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>>(GpuTrainKernels.Copy);
        adam = acc.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>,
            AdamCoefficients>(GpuTrainKernels.Adam);
        sgd = acc.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, float, float, float, float, int>(GpuTrainKernels.Sgd);
    }

    /// <summary>
    /// Null when the device path trains <paramref name="config"/> with <paramref name="options"/>; else what it lacks: tasks other
    /// than lm, cells other than lstm / gru / rnn / rnn_relu, bidirectional layers, projections, dropout, and the RMSprop optimizer.
    /// </summary>
    public static string? Unsupported(ModelConfig config, TrainerOptions options)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(options);
        if (config.TaskKind != TaskKind.Lm)
            return $"task '{config.Task}' (only lm)";
        if (config.CellKind is not (CellKind.Lstm or CellKind.Gru or CellKind.Rnn))
            return $"the {config.Cell} cell (lstm, gru, rnn, rnn_relu)";
        if (config.Bidirectional)
            return "bidirectional layers";
        if (config.ProjSize > 0)
            return "LSTM projections";
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
        Upload(this.parameters.View, parameters.Data);
        foreach (var (name, array) in optimizer.State)
        {
            if (!optimizerState.TryGetValue(name, out var buffer))
                optimizerState.Add(name, buffer = acc.Allocate1D<float>(array.Length));
            Upload(buffer.View, array);
        }
        int block = maxB * H;
        for (int l = 0; l < L; l++)
        {
            if (h0.Length >= (l + 1) * block)
                Upload(layers[l].States.View.SubView(0, block), h0.Slice(l * block, block));
            if (cell == CellKind.Lstm && c0.Length >= (l + 1) * block)
                Upload(layers[l].Cells.View.SubView(0, block), c0.Slice(l * block, block));
        }
        acc.Synchronize();
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
        int block = maxB * H;
        for (int l = 0; l < L; l++)
        {
            if (h0.Length >= (l + 1) * block)
                Download(layers[l].States.View.SubView(0, block), h0.Slice(l * block, block));
            if (cell == CellKind.Lstm && c0.Length >= (l + 1) * block)
                Download(layers[l].Cells.View.SubView(0, block), c0.Slice(l * block, block));
        }
    }

    /// <inheritdoc/>
    public void ResetState()
    {
        foreach (var layer in layers)
        {
            layer.States.View.SubView(0, (long)maxB * H).MemSetToZero();
            if (cell == CellKind.Lstm)
                layer.Cells.View.SubView(0, (long)maxB * H).MemSetToZero();
        }
    }

    /// <inheritdoc/>
    public void CarryState()
    {
        int block = B * H;
        foreach (var layer in layers)
        {
            copy(block, layer.States.View.SubView((long)T * block, block), layer.States.View.SubView(0, block));
            if (cell == CellKind.Lstm)
                copy(block, layer.Cells.View.SubView((long)T * block, block), layer.Cells.View.SubView(0, block));
        }
    }

    /// <inheritdoc/>
    public double ForwardBackward(TrainingBatch batch)
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

        Forward();
        float gradScale = count == 0 ? 0f : (float)(1.0 / count);
        crossEntropy(rows, logits.View, targets.View, dLogits.View, rowLoss.View, V, Losses.IgnoreIndex, gradScale);
        gradients.View.MemSetToZero();
        Backward();
        rowLoss.View.SubView(0, rows).CopyToCPU(ref rowLossHost[0], rows);
        double sum = 0;
        for (int r = 0; r < rows; r++)
            sum += rowLossHost[r];
        return count == 0 ? double.NaN : sum / count;
    }

    private ArrayView<float> Weights(ParameterTensor tensor) => parameters.View.SubView(tensor.Offset, tensor.Length);

    private ArrayView<float> Grads(ParameterTensor tensor) => gradients.View.SubView(tensor.Offset, tensor.Length);

    /// <summary>The input of layer <paramref name="l"/>: the embedded tokens, or the states h_1..h_T of the layer below ([T, B, I_l]).</summary>
    private ArrayView<float> Input(int l) => l == 0
        ? x.View.SubView(0, (long)T * B * E)
        : layers[l - 1].States.View.SubView((long)B * H, (long)T * B * H);

    private void Forward()
    {
        int rows = T * B, block = B * H, gates = G * H;
        embeddingForward(rows * E, ids.View, Weights(embedding), x.View, E);
        for (int l = 0; l < L; l++)
        {
            var layer = layers[l];
            linear(rows * gates, Input(l), Weights(layer.WeightIh), Weights(layer.BiasIh), layer.Gx.View, gates, layer.In);
            for (int t = 0; t < T; t++)
            {
                var hPrev = layer.States.View.SubView((long)t * block, block);
                var h = layer.States.View.SubView((long)(t + 1) * block, block);
                var gx = layer.Gx.View.SubView((long)t * B * gates, B * gates);
                linear(B * gates, hPrev, Weights(layer.WeightHh), Weights(layer.BiasHh), gh.View, gates, H);
                switch (cell)
                {
                    case CellKind.Lstm:
                        lstmForward(block, gx, gh.View, layer.Cells.View.SubView((long)t * block, block), layer.Cells.View.SubView((long)(t + 1) * block, block),
                            h, layer.Act.View.SubView((long)t * B * 4 * H, B * 4 * H), H);
                        break;
                    case CellKind.Gru:
                        gruForward(block, gx, gh.View, hPrev, h, layer.Act.View.SubView((long)t * B * 4 * H, B * 4 * H), H);
                        break;
                    default:
                        rnnForward(block, gx, gh.View, h, relu ? 1 : 0);
                        break;
                }
            }
        }
        var top = layers[L - 1].States.View.SubView(block, (long)rows * H);
        linear(rows * V, top, Weights(headWeight), Weights(headBias), logits.View, V, H);
    }

    private void Backward()
    {
        int rows = T * B, block = B * H, gates = G * H;
        var top = layers[L - 1].States.View.SubView(block, (long)rows * H);
        // head: dW += dLogitsᵀ y, db += Σ_rows dLogits, dy = dLogits W
        matMul(V * H, dLogits.View, 1, V, top, H, 1, Grads(headWeight), H, rows, 1);
        columnSum(V, dLogits.View, Grads(headBias), V, rows);
        matMul(rows * H, dLogits.View, V, 1, Weights(headWeight), H, 1, layers[L - 1].DY.View, H, V, 0);
        for (int l = L - 1; l >= 0; l--)
        {
            var layer = layers[l];
            dhNext.View.MemSetToZero();
            dcNext.View.MemSetToZero();
            for (int t = T - 1; t >= 0; t--)
            {
                var dy = layer.DY.View.SubView((long)t * block, block);
                var dGates = layer.DGates.View.SubView((long)t * B * gates, B * gates);
                var dGh = layer.DGh.View.SubView((long)t * B * gates, B * gates);
                switch (cell)
                {
                    case CellKind.Lstm:
                        lstmBackward(block, layer.Act.View.SubView((long)t * B * 4 * H, B * 4 * H), layer.Cells.View.SubView((long)t * block, block),
                            layer.Cells.View.SubView((long)(t + 1) * block, block), dy, dhNext.View, dcNext.View, dGates, H);
                        break;
                    case CellKind.Gru:
                        gruBackward(block, layer.Act.View.SubView((long)t * B * 4 * H, B * 4 * H), layer.States.View.SubView((long)t * block, block),
                            dy, dhNext.View, dGates, dGh, H);
                        break;
                    default:
                        rnnBackward(block, layer.States.View.SubView((long)(t + 1) * block, block), dy, dhNext.View, dGates, relu ? 1 : 0);
                        break;
                }
                if (t > 0)   // no gradient into the carried h0 (truncated BPTT)
                    matMul(block, dGh, gates, 1, Weights(layer.WeightHh), H, 1, dhNext.View, H, gates, 1);
            }
            var input = Input(l);
            var hPrevious = layer.States.View.SubView(0, (long)rows * H);
            matMul(gates * layer.In, layer.DGates.View, 1, gates, input, layer.In, 1, Grads(layer.WeightIh), layer.In, rows, 1);
            matMul(gates * H, layer.DGh.View, 1, gates, hPrevious, H, 1, Grads(layer.WeightHh), H, rows, 1);
            columnSum(gates, layer.DGates.View, Grads(layer.BiasIh), gates, rows);
            columnSum(gates, layer.DGh.View, Grads(layer.BiasHh), gates, rows);
            var dInput = l > 0 ? layers[l - 1].DY.View : dx.View;
            matMul(rows * layer.In, layer.DGates.View, gates, 1, Weights(layer.WeightIh), layer.In, 1, dInput, layer.In, gates, 0);
        }
        embeddingBackward(E, ids.View, dx.View, Grads(embedding), E, rows);
    }

    /// <inheritdoc/>
    public double ClipGradients(float clipValue, double clipNorm)
    {
        int count = (int)gradients.Length;
        if (clipValue > 0)
            clamp(count, gradients.View, clipValue);
        squaresPartial(partialHost.Length, gradients.View, partial.View, count);
        partial.View.CopyToCPU(partialHost);
        double sum = 0;
        foreach (double s in partialHost)
            sum += s;
        double norm = Math.Sqrt(sum);
        if (clipNorm > 0)
        {
            double coefficient = clipNorm / (norm + 1e-6);
            if (double.IsFinite(norm) && coefficient < 1)
                scale(count, gradients.View, (float)coefficient);
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
            var k = new AdamCoefficients((float)o.Beta1, (float)(1 - o.Beta1), (float)o.Beta2, (float)(1 - o.Beta2), (float)-(lr / biasCorrection1),
                (float)Math.Sqrt(biasCorrection2), (float)o.Eps, (float)(1 - lr * weightDecay), (float)weightDecay, o.Kind == "adamw", o.Amsgrad);
            var vMax = o.Amsgrad ? optimizerState["max_exp_avg_sq"].View : unused.View;
            adam(count, parameters.View, gradients.View, optimizerState["exp_avg"].View, optimizerState["exp_avg_sq"].View, vMax, k);
        }
        else
        {
            bool momentum = o.Momentum != 0;
            int flags = (momentum ? 1 : 0) | (o.Nesterov ? 2 : 0) | (optimizer.StepCount == 1 ? 4 : 0);
            var buffer = momentum ? optimizerState["momentum_buffer"].View : unused.View;
            sgd(count, parameters.View, gradients.View, buffer, (float)weightDecay, (float)o.Momentum, (float)(1 - o.Dampening), (float)-lr, flags);
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
        foreach (var layer in layers)
        {
            foreach (var buffer in new[] { layer.Gx, layer.Act, layer.States, layer.Cells, layer.DGates, layer.DGh, layer.DY }.Distinct())
            {
                if (!ReferenceEquals(buffer, unused))
                    buffer.Dispose();
            }
        }
        foreach (var buffer in optimizerState.Values)
            buffer.Dispose();
        foreach (var buffer in new[] { parameters, gradients, unused, x, dx, logits, dLogits, rowLoss, gh, dhNext, dcNext })
            buffer.Dispose();
        ids.Dispose();
        targets.Dispose();
        partial.Dispose();
    }
}
