using Baton.IO;
using Baton.Lab.Bench;
using Baton.Lab.Bench.Rows;
using Baton.Layers;
using Baton.Numerics;
using Microsoft.ML.OnnxRuntime;

namespace Baton.Bench.Rows;

/// <summary>
/// The ONNX Runtime twins of Baton.Lab's stream rows: each runs the same model (<see cref="RecurrentRows.StreamModel"/>),
/// exported by <see cref="OnnxExport"/>, one step at a time (µs per step). They live here, not in Baton.Lab, so that the
/// <c>baton</c> tool does not carry ONNX Runtime.
/// </summary>
internal sealed class OrtStreamRows : IBenchRowFamily
{
    public IEnumerable<IBenchRow> Rows =>
    [
        new OrtStreamRow("stream-lstm-128-ort", CellKind.Lstm, I: 128, H: 128, L: 1),
        new OrtStreamRow("stream-lstm-512x2-ort", CellKind.Lstm, I: 512, H: 512, L: 2),
        new OrtStreamRow("stream-gru-512x2-ort", CellKind.Gru, I: 512, H: 512, L: 2),
    ];

    /// <summary>
    /// The stream row of the same name without -ort, in ONNX Runtime: the model exported by <see cref="OnnxExport"/>,
    /// run at T = 1 in one session (intra-op threads = <see cref="Threads.Count"/>, inter-op 1, every graph optimisation),
    /// through two pre-made IO bindings over pinned arrays: step k reads h0 (c0) from one pair of state buffers and writes hn (cn)
    /// into the other, step k + 1 the other way round, so nothing is allocated or copied by the caller per step.
    /// Prepare checks that a few steps leave ONNX Runtime's state equal to Baton's.
    /// </summary>
    internal sealed class OrtStreamRow(string name, CellKind cell, int I, int H, int L) : IBenchRow
    {
        /// <summary>Largest |ort − baton| / (1 + |baton|) of the states after <see cref="CheckSteps"/> steps.</summary>
        private const double Tolerance = 1e-4;

        private const int CheckSteps = 4;

        public string Name => name;

        public string Description =>
            $"stream {cell} I={I} H={H} L={L} in ONNX Runtime, batch 1, one step: Baton's ONNX export (forecast model, 1-output head), states fed back";

        public BenchWork Prepare()
        {
            var (model, x) = RecurrentRows.StreamModel(cell, I, H, L);
            bool lstm = cell == CellKind.Lstm;
            var resources = new Resources();
            try
            {
                var options = resources.Add(new SessionOptions
                {
                    IntraOpNumThreads = Threads.Count,
                    InterOpNumThreads = 1,
                    ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
                    GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
                    // The exporter's optional h0 / c0 are overridable initializers, which ONNX Runtime warns about on every load.
                    LogSeverityLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR,
                });
                var session = resources.Add(new InferenceSession(OnnxExport.ToBytes(model), options));
                var runOptions = resources.Add(new RunOptions());
                var features = resources.Add(OrtValue.CreateTensorValueFromMemory(x, [1, 1, I]));   // [T=1, B=1, I]
                float[][] h = [new float[L * H], new float[L * H]];                                // [L, 1, H] each
                float[][] c = [new float[L * H], new float[L * H]];
                OrtValue State(float[] buffer) => resources.Add(OrtValue.CreateTensorValueFromMemory(buffer, [L, 1, H]));
                OrtValue[] hValues = [State(h[0]), State(h[1])];
                OrtValue[] cValues = lstm ? [State(c[0]), State(c[1])] : [];
                OrtIoBinding Bind(int from)
                {
                    var binding = resources.Add(session.CreateIoBinding());
                    binding.BindInput("features", features);
                    binding.BindInput("h0", hValues[from]);
                    binding.BindOutput("hn", hValues[1 - from]);
                    if (lstm)
                    {
                        binding.BindInput("c0", cValues[from]);
                        binding.BindOutput("cn", cValues[1 - from]);
                    }
                    return binding;
                }
                OrtIoBinding[] bindings = [Bind(0), Bind(1)];
                int current = 0;   // the buffers holding the state
                void Step()
                {
                    session.RunWithBinding(runOptions, bindings[current]);
                    current = 1 - current;
                }

                var state = model.Rnn.CreateStreamState(1);
                var y = new float[H];
                for (int s = 0; s < CheckSteps; s++)
                {
                    model.Rnn.Step(state, x, y);
                    Step();
                }
                CheckSame("hn", h[current], state.H);
                if (lstm)
                    CheckSame("cn", c[current], state.C);
                return new BenchWork(Step, Tokens: 1, Steps: 1, Resources: resources);
            }
            catch
            {
                resources.Dispose();
                throw;
            }
        }

        private static void CheckSame(string what, ReadOnlySpan<float> ort, ReadOnlySpan<float> baton)
        {
            double worst = 0;
            for (int i = 0; i < baton.Length; i++)
                worst = Math.Max(worst, Math.Abs(ort[i] - baton[i]) / (1 + Math.Abs(baton[i])));
            if (!(worst <= Tolerance))
                throw new InvalidOperationException($"ONNX Runtime's {what} differs from Baton's by {worst:E2} (> {Tolerance:E0}): not the same model.");
        }
    }

    /// <summary>Native handles of a row, disposed in reverse order of creation.</summary>
    private sealed class Resources : IDisposable
    {
        private readonly List<IDisposable> owned = [];

        public T Add<T>(T resource) where T : IDisposable
        {
            owned.Add(resource);
            return resource;
        }

        public void Dispose()
        {
            for (int i = owned.Count - 1; i >= 0; i--)
                owned[i].Dispose();
            owned.Clear();
        }
    }
}
