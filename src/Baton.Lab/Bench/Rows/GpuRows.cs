using Baton.Gpu;
using Baton.Layers;
using Baton.Numerics;

namespace Baton.Lab.Bench.Rows;

/// <summary>
/// The GPU rows: the standard set's training and streaming steps (as <see cref="RecurrentRows"/> defines them) on an
/// accelerator through ILGPU (<see cref="GpuStackTrainer"/>): the first CUDA device, or ILGPU's CPU emulation where there is
/// none (slow: figures from the emulation say nothing about a GPU). Each timed run ends with a device synchronisation.
/// </summary>
internal sealed class GpuRows : IBenchRowFamily
{
    public IEnumerable<IBenchRow> Rows =>
    [
        new GpuTrainRow("gpu-lstm-small", CellKind.Lstm, B: 32, T: 128, I: 256, H: 256, L: 1),
        new GpuTrainRow("gpu-lstm-1024", CellKind.Lstm, B: 64, T: 64, I: 1024, H: 1024, L: 1),
        new GpuTrainRow("gpu-gru-4096", CellKind.Gru, B: 64, T: 4096, I: 256, H: 256, L: 1),
        new GpuTrainRow("gpu-mingru-4096", CellKind.MinGru, B: 64, T: 4096, I: 256, H: 256, L: 1),
        new GpuStreamRow("gpu-stream-lstm-512x2", CellKind.Lstm, I: 512, H: 512, L: 2),
    ];

    /// <summary>The stack of a GPU row initialised from Rng(1), then x [T, B, I] uniform in [−1, 1) from the same generator (as the CPU rows).</summary>
    internal static (RecurrentStack Stack, Parameters Parameters, float[] X) Stack(CellKind cell, int B, int T, int I, int H, int L)
    {
        var p = new Parameters();
        var stack = new RecurrentStack(new RecurrentOptions(cell, I, H, L), p);
        p.Freeze();
        var rng = new Rng(1);
        stack.ResetParameters(rng);
        var x = new float[T * B * I];
        for (int i = 0; i < x.Length; i++)
            x[i] = rng.Uniform(-1, 1);
        return (stack, p, x);
    }

    internal sealed class GpuTrainRow(string name, CellKind cell, int B, int T, int I, int H, int L) : IBenchRow
    {
        /// <summary>The CPU rows' SGD rate.</summary>
        public const float LearningRate = 1e-3f;

        public string Name => name;

        public string Description => $"train {cell} B={B} T={T} I={I} H={H} L={L} on the GPU (CUDA; ILGPU's CPU emulation where none): forward, mean(y²), backward, SGD";

        public BenchWork Prepare()
        {
            var (stack, p, x) = Stack(cell, B, T, I, H, L);
            var device = GpuDevice.Open(GpuDeviceKind.Auto);
            try
            {
                var trainer = new GpuStackTrainer(device, stack, p, x, T, B);
                void Step()
                {
                    trainer.Step(LearningRate);
                    device.Synchronize();
                }
                Step();
                double flops = 0;
                for (int l = 0; l < L; l++)
                    flops += (double)B * T * RecurrentRows.TrainingFlopsPerToken(cell, l == 0 ? I : H, H, inputGradient: l > 0);
                return new BenchWork(Step, Flops: flops, Tokens: (double)B * T, Steps: T, Resources: new Owned(trainer, device),
                    Device: DeviceName(device));
            }
            catch
            {
                device.Dispose();
                throw;
            }
        }
    }

    private sealed class GpuStreamRow(string name, CellKind cell, int I, int H, int L) : IBenchRow
    {
        public string Name => name;

        public string Description => $"stream {cell} I={I} H={H} L={L} on the GPU (CUDA; ILGPU's CPU emulation where none), batch 1, one step";

        public BenchWork Prepare()
        {
            var (stack, p, x) = Stack(cell, B: 1, T: 1, I, H, L);
            var device = GpuDevice.Open(GpuDeviceKind.Auto);
            try
            {
                var trainer = new GpuStackTrainer(device, stack, p, x, 1, 1);
                void Step()
                {
                    trainer.StreamStep();
                    device.Synchronize();
                }
                Step();
                return new BenchWork(Step, Tokens: 1, Steps: 1, Resources: new Owned(trainer, device),
                    Device: DeviceName(device));
            }
            catch
            {
                device.Dispose();
                throw;
            }
        }
    }

    /// <summary>"cuda: NAME" or "emulate: NAME": every figure says whether a GPU made it.</summary>
    private static string DeviceName(GpuDevice device) => $"{(device.IsCuda ? "cuda" : "emulate")}: {device.Name}";

    /// <summary>The row's trainer, then its device, disposed in that order.</summary>
    private sealed class Owned(IDisposable trainer, GpuDevice device) : IDisposable
    {
        public void Dispose()
        {
            trainer.Dispose();
            device.Dispose();
        }
    }
}
