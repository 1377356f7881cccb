using Baton.Gpu;
using Baton.Layers;
using Baton.Models;
using Baton.Numerics;
using Baton.Training;
using Xunit.Abstractions;

namespace Baton.Tests.Gpu;

/// <summary>ILGPU's CPU accelerator, opened once: the device trainer's kernels run on it exactly as they would on a GPU, slowly.</summary>
public sealed class EmulatedDeviceFixture : IDisposable
{
    public GpuDevice Device { get; } = GpuDevice.Open(GpuDeviceKind.Cpu);

    public void Dispose() => Device.Dispose();
}

/// <summary>The device trainer against the CPU engine, on the emulation: same model, same seed, same batches.</summary>
public class GpuTrainerTests : IClassFixture<EmulatedDeviceFixture>
{
    /// <summary>
    /// The issue's bar: losses and weights within 1e-4 relative of the CPU engine. Losses: |a − b| / |b|. Weights: per tensor,
    /// max |a − b| / max |b| (the largest difference against the tensor's scale, as near-zero elements have no relative error).
    /// </summary>
    private const double Tolerance = 1e-4;

    private const int Steps = 20;
    private const int V = 13, E = 5, H = 6, Batch = 3, SeqLength = 7;

    private readonly GpuDevice device;
    private readonly ITestOutputHelper output;

    public GpuTrainerTests(EmulatedDeviceFixture fixture, ITestOutputHelper output)
    {
        device = fixture.Device;
        this.output = output;
    }

    private static ModelConfig Config(string cell, int layers) => new()
    {
        Task = "lm",
        Cell = cell,
        Layers = layers,
        Hidden = H,
        Embedding = E,
        OutputSize = V,
        Tokens = "chars",
        Vocab = Enumerable.Range(0, V).Select(i => ((char)('a' + i)).ToString()).ToArray(),
    };

    private static int[] Corpus()
    {
        var rng = new Rng(7);
        return Enumerable.Range(0, 400).Select(_ => (int)(rng.NextUInt64() % V)).ToArray();
    }

    private static TokenStreams Data() => new(Corpus(), null, Batch, SeqLength);

    /// <summary>
    /// The run's options; <paramref name="optimizer"/> is an optimizer kind, or "amsgrad" (Adam with amsgrad) or "nesterov"
    /// (SGD with Nesterov momentum, gradients also clipped by value).
    /// </summary>
    private static TrainerOptions Options(string optimizer, int steps = Steps, string? checkpoint = null)
    {
        bool sgd = optimizer is "sgd" or "nesterov";
        return new()
        {
            Seed = 3,
            MaxSteps = steps,
            Optimizer = new OptimizerOptions
            {
                Kind = optimizer switch { "amsgrad" => "adam", "nesterov" => "sgd", _ => optimizer },
                LearningRate = sgd ? 0.5 : 0.02,
                Momentum = sgd ? 0.9 : 0,
                Nesterov = optimizer == "nesterov",
                Amsgrad = optimizer == "amsgrad",
            },
            ClipNorm = 1.0,
            ClipValue = optimizer == "nesterov" ? 0.02f : 0f,
            HistoryEvery = 1,
            CheckpointPath = checkpoint,
        };
    }

    /// <summary>Runs <paramref name="trainer"/> to its end and returns the loss of every step.</summary>
    private static List<double> Losses(Trainer trainer)
    {
        var losses = new List<double>();
        trainer.Progress = p => losses.Add(p.Loss);
        var result = trainer.Run();
        Assert.Equal(StopReason.Completed, result.Reason);
        return losses;
    }

    private Trainer DeviceTrainer(SequenceModel model, TrainerOptions options, out GpuTrainer engine)
    {
        var data = Data();
        var trainer = new Trainer(model, data, options);
        engine = new GpuTrainer(device, model, options, data.MaxT, data.MaxB);
        trainer.UseEngine(engine);
        return trainer;
    }

    private static double MaxLossError(IReadOnlyList<double> device, IReadOnlyList<double> cpu)
    {
        Assert.Equal(cpu.Count, device.Count);
        return device.Zip(cpu, (a, b) => Math.Abs(a - b) / Math.Abs(b)).Max();
    }

    /// <summary>Per tensor max |a − b| / max |b|, the largest over the tensors.</summary>
    internal static double MaxWeightError(Parameters device, Parameters cpu)
    {
        double worst = 0;
        foreach (var tensor in cpu.Tensors)
        {
            var a = device.Value(device[tensor.Name]);
            var b = cpu.Value(tensor);
            double scale = 0, diff = 0;
            for (int i = 0; i < b.Length; i++)
            {
                scale = Math.Max(scale, Math.Abs(b[i]));
                diff = Math.Max(diff, Math.Abs(a[i] - b[i]));
            }
            worst = Math.Max(worst, diff / scale);
        }
        return worst;
    }

    [Theory]
    [InlineData("lstm", 2, "adam")]
    [InlineData("gru", 2, "adam")]
    [InlineData("rnn", 1, "sgd")]
    [InlineData("rnn_relu", 2, "adamw")]
    [InlineData("gru", 1, "amsgrad")]
    [InlineData("lstm", 1, "nesterov")]
    [InlineData("mingru", 2, "adam")]
    public void Twenty_device_steps_match_the_cpu_engine_in_every_loss_and_every_weight(string cell, int layers, string optimizer)
    {
        var options = Options(optimizer);
        var cpu = new Trainer(new SequenceModel(Config(cell, layers)), Data(), options);
        var cpuLosses = Losses(cpu);

        var onDevice = DeviceTrainer(new SequenceModel(Config(cell, layers)), options, out var engine);
        var initial = onDevice.Model.Parameters.Data.ToArray();
        using (engine)
        {
            var deviceLosses = Losses(onDevice);
            double lossError = MaxLossError(deviceLosses, cpuLosses), weightError = MaxWeightError(onDevice.Model.Parameters, cpu.Model.Parameters);
            output.WriteLine($"{cell} ×{layers} {optimizer}: max relative loss error {lossError:E2}, weight error {weightError:E2}");
            Assert.InRange(lossError, 0, Tolerance);
            Assert.InRange(weightError, 0, Tolerance);
        }
        // The weights came back from the device after training, not the ones pushed to it.
        double moved = initial.Zip(onDevice.Model.Parameters.Data, (a, b) => Math.Abs(a - b)).Max();
        Assert.True(moved > 1e-2, $"the weights moved by at most {moved:E2}");
    }

    [Fact]
    public void The_optimizer_state_comes_back_from_the_device_as_the_cpu_has_it()
    {
        var options = Options("adam", steps: 5);
        var cpu = new Trainer(new SequenceModel(Config("gru", 1)), Data(), options);
        Losses(cpu);
        var onDevice = DeviceTrainer(new SequenceModel(Config("gru", 1)), options, out var engine);
        using (engine)
        {
            Losses(onDevice);
            Assert.Equal(cpu.Optimizer.StepCount, onDevice.Optimizer.StepCount);
            foreach (var (name, expected) in cpu.Optimizer.State)
            {
                var actual = onDevice.Optimizer.State[name];
                double scale = expected.Max(Math.Abs), diff = expected.Zip(actual, (a, b) => Math.Abs(a - b)).Max();
                Assert.True(diff <= Tolerance * scale, $"{name}: max difference {diff:E2} against scale {scale:E2}");
            }
        }
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void A_checkpoint_written_from_the_device_resumes_to_the_uninterrupted_cpu_run(bool resumeOnDevice)
    {
        string dir = Path.Combine(Path.GetTempPath(), "baton-gpu-resume-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        try
        {
            string path = Path.Combine(dir, "last.safetensors");
            var cpu = new Trainer(new SequenceModel(Config("lstm", 2)), Data(), Options("adam"));
            var cpuLosses = Losses(cpu);

            var first = DeviceTrainer(new SequenceModel(Config("lstm", 2)), Options("adam", steps: Steps / 2, checkpoint: path), out var firstEngine);
            List<double> losses;
            using (firstEngine)
                losses = Losses(first);

            var resumed = Trainer.Resume(path, Data(), Options("adam"));
            Assert.Equal(Steps / 2, resumed.Step);
            GpuTrainer? engine = null;
            if (resumeOnDevice)
                resumed.UseEngine(engine = new GpuTrainer(device, resumed.Model, resumed.Options, SeqLength, Batch));
            using (engine)
                losses.AddRange(Losses(resumed));

            double lossError = MaxLossError(losses, cpuLosses), weightError = MaxWeightError(resumed.Model.Parameters, cpu.Model.Parameters);
            output.WriteLine($"resumed on {(resumeOnDevice ? "the device" : "the cpu")}: max relative loss error {lossError:E2}, weight error {weightError:E2}");
            Assert.InRange(lossError, 0, Tolerance);
            Assert.InRange(weightError, 0, Tolerance);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void Padding_targets_are_ignored_on_the_device_as_on_the_cpu()
    {
        var model = new SequenceModel(Config("gru", 1));
        var cpuModel = new SequenceModel(Config("gru", 1));
        var batch = new TrainingBatch(SeqLength, Batch, 0, 0) { T = SeqLength, B = Batch };
        var rng = new Rng(11);
        for (int i = 0; i < SeqLength * Batch; i++)
        {
            batch.Tokens[i] = (int)(rng.NextUInt64() % V);
            batch.TokenTargets[i] = i % 4 == 1 ? Baton.Training.Losses.IgnoreIndex : (int)(rng.NextUInt64() % V);
        }
        var ws = cpuModel.CreateWorkspace(SeqLength, Batch);
        var output = cpuModel.ForwardTokens(ws, batch.Tokens, SeqLength, Batch);
        var dOutput = new float[output.Length];
        var expected = Baton.Training.Losses.CrossEntropy(output, batch.TokenTargets, V, dOutput);
        cpuModel.Parameters.ZeroGrad();
        cpuModel.Backward(ws, dOutput);

        var options = Options("sgd");
        using var engine = new GpuTrainer(device, model, options, SeqLength, Batch);
        var optimizer = Optimizer.Create(options.Optimizer, model.Parameters);
        engine.Push(model.Parameters, optimizer, default, default);
        double loss = engine.ForwardBackward(batch);
        Assert.InRange(Math.Abs(loss - expected.Mean) / expected.Mean, 0, Tolerance);
        // The gradient's global norm, read without clipping.
        double norm = engine.ClipGradients(0, 0);
        double cpuNorm = GradientClipping.GlobalNorm(cpuModel.Parameters.Grad);
        Assert.InRange(Math.Abs(norm - cpuNorm) / cpuNorm, 0, Tolerance);
    }

    [Theory]
    [InlineData("minlstm", "sgd", "the minlstm cell")]
    [InlineData("lstm", "rmsprop", "the rmsprop optimizer")]
    public void What_the_device_does_not_train_yet_is_refused_by_name(string cell, string optimizer, string named)
    {
        var options = Options(optimizer);
        var e = Assert.Throws<NotSupportedException>(() => new GpuTrainer(device, new SequenceModel(Config(cell, 1)), options, SeqLength, Batch));
        Assert.Contains(named, e.Message);
    }
}
