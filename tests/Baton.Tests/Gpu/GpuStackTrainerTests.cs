using System.Numerics.Tensors;
using Baton.Gpu;
using Baton.Lab.Bench;
using Baton.Lab.Bench.Rows;
using Baton.Layers;

namespace Baton.Tests.Gpu;

/// <summary>The GPU bench rows' training step against the CPU rows' step, on the emulation, at small sizes.</summary>
public class GpuStackTrainerTests : IClassFixture<EmulatedDeviceFixture>
{
    /// <summary>Per tensor max |a − b| / max |b| after the steps, as the device trainer's bar.</summary>
    private const double Tolerance = 1e-4;

    private const int Steps = 3;

    private readonly GpuDevice device;

    public GpuStackTrainerTests(EmulatedDeviceFixture fixture) => device = fixture.Device;

    [Theory]
    [InlineData("lstm", 2)]
    [InlineData("gru", 1)]
    [InlineData("rnn", 2)]
    [InlineData("mingru", 2)]
    public void Three_device_steps_of_the_bench_definition_match_the_cpu_stack(string cellName, int layers)
    {
        const int B = 3, T = 5, I = 4, H = 6;
        Assert.True(CellKinds.TryParse(cellName, out var cell, out _));
        var (stack, p, x) = GpuRows.Stack(cell, B, T, I, H, layers);
        var initial = p.Data.ToArray();
        using var trainer = new GpuStackTrainer(device, stack, p, x, T, B);

        // The CPU rows' step: forward, dy = 2y / n, backward, p += −lr·g.
        var y = new float[T * B * H];
        var dy = new float[y.Length];
        var ws = stack.CreateWorkspace(T, B);
        for (int s = 0; s < Steps; s++)
        {
            trainer.Step(GpuRows.GpuTrainRow.LearningRate * 100);
            stack.ForwardKeepingInput(ws, x, T, B, [], [], [], y, [], [], training: true);
            TensorPrimitives.Multiply(y, 2f / y.Length, dy);
            p.ZeroGrad();
            stack.Backward(ws, dy, [], [], [], [], []);
            TensorPrimitives.MultiplyAdd(p.Grad, -GpuRows.GpuTrainRow.LearningRate * 100, p.Data, p.Data);
        }
        var onDevice = new float[p.Count];
        trainer.CopyWeightsTo(onDevice);
        Assert.True(onDevice.Zip(initial, (a, b) => Math.Abs(a - b)).Max() > 1e-5, "the device step moved the weights");
        foreach (var tensor in p.Tensors)
        {
            var expected = p.Value(tensor);
            var actual = onDevice.AsSpan(tensor.Offset, tensor.Length);
            double scale = 0, diff = 0;
            for (int i = 0; i < expected.Length; i++)
            {
                scale = Math.Max(scale, Math.Abs(expected[i]));
                diff = Math.Max(diff, Math.Abs(actual[i] - expected[i]));
            }
            Assert.True(diff <= Tolerance * scale, $"{tensor.Name}: max difference {diff:E2} against scale {scale:E2}");
        }
    }

    [Theory]
    [InlineData("lstm", 4 * 6 * (2 * (4 + 6) + 6))]   // G·H·(2(I + H) + H): forward, weight and recurrent gradients
    [InlineData("mingru", 2 * 6 * (2 * 4))]           // minGRU has no recurrent product
    public void A_gpu_training_row_runs_on_the_emulation_at_a_small_size_and_counts_its_products(string cellName, int perToken)
    {
        const int B = 2, T = 5, I = 4, H = 6;
        Assert.True(CellKinds.TryParse(cellName, out var cell, out _));
        var work = new GpuRows.GpuTrainRow("gpu-smoke", cell, B, T, I, H, L: 1).Prepare();
        try
        {
            work.Run();
            Assert.Equal(2.0 * B * T * perToken, work.Flops);   // the products the step computes, as the CPU rows count them
            Assert.Equal(B * T, work.Tokens);
            Assert.Matches("^(cuda|emulate): .+", work.Device);   // every GPU figure says what ran it
        }
        finally
        {
            work.Resources?.Dispose();
        }
    }

    [Fact]
    public void The_gpu_rows_are_registered_beside_the_standard_set()
    {
        var names = BenchRegistry.Lab.Rows.Select(r => r.Name).ToArray();
        Assert.Subset(names.ToHashSet(), new HashSet<string> { "gpu-lstm-small", "gpu-lstm-1024", "gpu-gru-4096", "gpu-mingru-4096", "gpu-stream-lstm-512x2" });
    }
}
