using Baton.IO;
using Baton.Layers;
using Baton.Models;
using Baton.Numerics;

namespace Baton.Lab.Bench.Rows;

/// <summary>
/// DESIGN.md's recurrent rows. Training rows: one step = Forward over T, loss = mean(y²) over the stack's output,
/// Backward (no input gradient), one SGD update; GFLOP/s counts the products the step computes
/// (<see cref="TrainingFlopsPerToken"/>; mingru-512 is the parallel-in-time twin of gru-512).
/// Training rows also report the managed bytes the step holds (<c>peak_mb</c>, see <see cref="BenchMemory"/>) beside the
/// least BPTT needs (<c>min_mb</c>, see <see cref="MinimumBytes"/>).
/// Stream rows: one <see cref="RecurrentStack.Step"/> of a batch-1 stream (µs per step); bench/Baton.Bench adds each a twin,
/// name-ort, that runs the same model exported to ONNX in ONNX Runtime.
/// </summary>
internal sealed class RecurrentRows : IBenchRowFamily
{
    public IEnumerable<IBenchRow> Rows =>
    [
        new TrainRow("lstm-small", CellKind.Lstm, B: 32, T: 128, I: 256, H: 256, L: 1),
        new TrainRow("gru-small", CellKind.Gru, B: 32, T: 128, I: 256, H: 256, L: 1),
        new TrainRow("rnn-small", CellKind.Rnn, B: 32, T: 128, I: 256, H: 256, L: 1),
        new TrainRow("lstm-2x512", CellKind.Lstm, B: 64, T: 100, I: 512, H: 512, L: 2),
        new TrainRow("lstm-1024", CellKind.Lstm, B: 64, T: 64, I: 1024, H: 1024, L: 1),
        new TrainRow("lstm-b1", CellKind.Lstm, B: 1, T: 512, I: 128, H: 128, L: 1),
        new TrainRow("lstm-long", CellKind.Lstm, B: 16, T: 1024, I: 64, H: 64, L: 1),
        new TrainRow("gru-512", CellKind.Gru, B: 64, T: 512, I: 256, H: 256, L: 1),
        new TrainRow("mingru-512", CellKind.MinGru, B: 64, T: 512, I: 256, H: 256, L: 1),
        new StreamRow("stream-lstm-128", CellKind.Lstm, I: 128, H: 128, L: 1),
        new StreamRow("stream-lstm-512x2", CellKind.Lstm, I: 512, H: 512, L: 2),
        new StreamRow("stream-gru-512x2", CellKind.Gru, I: 512, H: 512, L: 2),
    ];

    /// <summary>
    /// Flops (2 per multiply-add) of one layer's products per token in a training step: with R = H (0 for minGRU /
    /// minLSTM, which have no recurrent product), 2·G·H·(I_l + R) forward, as much again for the weight gradients,
    /// 2·G·H·R for the gradient carried back through the recurrence and, where the layer below needs it
    /// (<paramref name="inputGradient"/>: every layer but the first), 2·G·H·I_l for the input gradient.
    /// </summary>
    internal static double TrainingFlopsPerToken(CellKind cell, int inputs, int H, bool inputGradient)
    {
        int recurrent = cell is CellKind.MinGru or CellKind.MinLstm ? 0 : H;
        return 2.0 * cell.Gates() * H * (2.0 * (inputs + recurrent) + recurrent + (inputGradient ? inputs : 0));
    }

    /// <summary>
    /// Floats per token and layer that BPTT must keep from Forward for Backward: the layer's output h (W_hh's gradient reads
    /// h_{t-1}, and the next layer reads it as input) and what the cell's derivative reads. Elman: h alone (tanh' = 1 − h²).
    /// LSTM: i, f, g, o and c. GRU: r, z, n and W_hn·h + b_hn. minGRU: k and z. minLSTM: k, f and i.
    /// </summary>
    private static int KeptPerToken(CellKind cell) => cell switch
    {
        CellKind.Lstm => 6,
        CellKind.Gru => 5,
        CellKind.MinGru => 3,
        CellKind.MinLstm => 4,
        _ => 1,
    };

    /// <summary>
    /// The least a training step of an L-layer stack with <paramref name="parameterCount"/> parameters can hold:
    /// parameters and gradients (SGD keeps no state) and <see cref="KeptPerToken"/> floats per token and layer, less the
    /// last layer's h: that is the caller's y, kept where it is (as autograd keeps a module's output). The caller's x, y
    /// and dy are not counted.
    /// </summary>
    internal static long MinimumBytes(CellKind cell, int parameterCount, int B, int T, int H, int L) =>
        sizeof(float) * (2L * parameterCount + (long)T * B * (L * KeptPerToken(cell) - 1) * H);

    internal sealed class TrainRow(string name, CellKind cell, int B, int T, int I, int H, int L) : IBenchRow
    {
        private const float LearningRate = 1e-3f;

        public string Name => name;

        public string Description => $"train {cell} B={B} T={T} I={I} H={H} L={L}: forward, mean(y²), backward, SGD";

        public BenchWork Prepare()
        {
            // The harness's x, y and dy belong to the caller, not to the training step: not counted.
            var x = new float[T * B * I];
            var y = new float[T * B * H];
            var dy = new float[y.Length];
            var p = new Parameters();
            var stack = new RecurrentStack(new RecurrentOptions(cell, I, H, L), p);
            p.Freeze();
            var rng = new Rng(1);
            stack.ResetParameters(rng);
            for (int i = 0; i < x.Length; i++)
                x[i] = rng.Uniform(-1, 1);
            var ws = stack.CreateWorkspace(T, B);
            float scale = 2f / y.Length;
            void Step()
            {
                stack.ForwardKeepingInput(ws, x, T, B, [], [], [], y, [], [], training: true);
                System.Numerics.Tensors.TensorPrimitives.Multiply(y, scale, dy); // d mean(y²) / dy
                p.ZeroGrad();
                stack.Backward(ws, dy, [], [], [], [], []);
                System.Numerics.Tensors.TensorPrimitives.MultiplyAdd(p.Grad, -LearningRate, p.Data, p.Data);
            }
            Step();
            long held = BenchMemory.Owned([p, stack, ws], exclude: [x, y, dy]);
            double flops = 0;
            for (int l = 0; l < L; l++)
                flops += (double)B * T * TrainingFlopsPerToken(cell, l == 0 ? I : H, H, inputGradient: l > 0);
            return new BenchWork(Step, Flops: flops, Tokens: (double)B * T, Steps: T,
                HeldBytes: held, MinimumBytes: MinimumBytes(cell, p.Count, B, T, H, L));
        }
    }

    /// <summary>
    /// The stream rows' model: features in (no embedding), the recurrent stack initialised from Rng(2) exactly as a bare
    /// stack would be, then the input x from the same generator; the one-output head on the final state exists because
    /// <see cref="OnnxExport"/> writes whole models, and costs H multiply-adds per step in ONNX Runtime.
    /// </summary>
    internal static (SequenceModel Model, float[] X) StreamModel(CellKind cell, int I, int H, int L)
    {
        if (cell is not (CellKind.Lstm or CellKind.Gru))
            throw new ArgumentOutOfRangeException(nameof(cell), cell, "The stream rows run LSTM and GRU stacks.");
        var model = new SequenceModel(new ModelConfig { Task = "forecast", Cell = CellKinds.Name(cell), Layers = L, Hidden = H, InputSize = I, OutputSize = 1 });
        var rng = new Rng(2);
        model.Rnn.ResetParameters(rng);
        var x = new float[I];
        for (int i = 0; i < I; i++)
            x[i] = rng.Uniform(-1, 1);
        model.Head.ResetParameters(new Rng(3));
        return (model, x);
    }

    private sealed class StreamRow(string name, CellKind cell, int I, int H, int L) : IBenchRow
    {
        public string Name => name;

        public string Description => $"stream {cell} I={I} H={H} L={L}, batch 1, one step";

        public BenchWork Prepare()
        {
            var (model, x) = StreamModel(cell, I, H, L);
            var stack = model.Rnn;
            var state = stack.CreateStreamState(1);
            var y = new float[H];
            // gb_s counts the weight matrices a step must read once (biases aside), the yardstick of the cache-read row.
            double weightBytes = 0;
            for (int l = 0; l < L; l++)
                weightBytes += sizeof(float) * (double)cell.Gates() * H * ((l == 0 ? I : H) + H);
            return new BenchWork(() => stack.Step(state, x, y), Tokens: 1, Steps: 1, Bytes: weightBytes);
        }
    }
}
