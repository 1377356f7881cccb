using Baton.Data;
using Baton.Gpu;
using Baton.Models;
using Baton.Numerics;
using Baton.Training;
using Xunit.Abstractions;

namespace Baton.Tests.Gpu;

/// <summary>
/// The device trainer's final-state tasks (forecast: MSE on the horizon outputs; classify: cross-entropy, weighted per class, over
/// sequences of their own lengths) against the CPU engine, on the emulation: same model, same seed, same batches.
/// </summary>
public class GpuTaskTrainerTests : IClassFixture<EmulatedDeviceFixture>
{
    /// <summary>The issue's bar, measured as in <see cref="GpuTrainerTests"/>: losses |a − b| / |b|, weights per tensor max |a − b| / max |b|.</summary>
    private const double Tolerance = 1e-4;

    private const int Steps = 20;
    private const int I = 3, H = 6, Horizon = 4, Classes = 3, Batch = 5;

    private readonly GpuDevice device;
    private readonly ITestOutputHelper output;

    public GpuTaskTrainerTests(EmulatedDeviceFixture fixture, ITestOutputHelper output)
    {
        device = fixture.Device;
        this.output = output;
    }

    private static ModelConfig Config(string task, string cell, int layers) => new()
    {
        Task = task,
        Cell = cell,
        Layers = layers,
        Hidden = H,
        InputSize = I,
        OutputSize = task == "forecast" ? Horizon : Classes,
    };

    /// <summary>
    /// <paramref name="count"/> examples of random features: forecast windows of 6 steps with 4 targets each, or classify sequences
    /// of 2 to 7 steps (so every batch mixes lengths) labelled 0..2 with class 0 twice as common as the others.
    /// </summary>
    private static SequenceExample[] Examples(string task, int count, ulong seed)
    {
        var rng = new Rng(seed);
        var examples = new SequenceExample[count];
        for (int e = 0; e < count; e++)
        {
            int steps = task == "forecast" ? 6 : 2 + rng.NextInt(6);
            var x = Enumerable.Range(0, steps * I).Select(_ => (float)rng.NextNormal()).ToArray();
            examples[e] = task == "forecast"
                ? new SequenceExample(null, x, 0, Enumerable.Range(0, Horizon).Select(_ => (float)rng.NextNormal()).ToArray())
                : new SequenceExample(null, x, e % 4 < 2 ? 0 : e % 4 - 1);
        }
        return examples;
    }

    private static SequenceExamples Data(string task) =>
        new(Examples(task, 23, 5), Examples(task, 7, 6), I, task == "forecast" ? Horizon : 0, Batch, seed: 2);

    /// <summary>The forecaster's or the classifier's own trainer settings for 20 steps, validated every 5.</summary>
    private static TrainerOptions Options(string task, bool weighted, int steps = Steps, string? checkpoint = null)
    {
        var options = task == "forecast"
            ? ForecastTrainer.TrainerOptions(new ForecastOptions { Steps = steps, EvalEvery = 5, LearningRate = 0.02, Seed = 3 })
            : ClassifyTrainer.TrainerOptions(new ClassifyOptions { LearningRate = 0.02, Seed = 3 }, perEpoch: 5, validate: true,
                weighted ? [0.5f, 1.5f, 2f] : null) with { MaxSteps = steps };
        return options with { CheckpointPath = checkpoint, HistoryEvery = 1 };
    }

    private static (List<double> Losses, List<double> Validation) Run(Trainer trainer)
    {
        var losses = new List<double>();
        var validation = new List<double>();
        trainer.Progress = p =>
        {
            losses.Add(p.Loss);
            if (p.ValidationLoss is double v)
                validation.Add(v);
        };
        var result = trainer.Run();
        Assert.Equal(StopReason.Completed, result.Reason);
        return (losses, validation);
    }

    private Trainer DeviceTrainer(SequenceModel model, ITrainingData data, TrainerOptions options, out GpuTrainer engine)
    {
        var trainer = new Trainer(model, data, options);
        engine = new GpuTrainer(device, model, options, data.MaxT, data.MaxB);
        trainer.UseEngine(engine);
        return trainer;
    }

    private static double MaxRelative(IReadOnlyList<double> device, IReadOnlyList<double> cpu)
    {
        Assert.Equal(cpu.Count, device.Count);
        return device.Zip(cpu, (a, b) => Math.Abs(a - b) / Math.Abs(b)).Max();
    }

    [Theory]
    [InlineData("forecast", "lstm", 2, false)]
    [InlineData("forecast", "gru", 1, false)]
    [InlineData("forecast", "rnn", 1, false)]
    [InlineData("forecast", "mingru", 2, false)]
    [InlineData("classify", "lstm", 2, true)]
    [InlineData("classify", "gru", 1, true)]
    [InlineData("classify", "rnn_relu", 2, false)]
    public void Twenty_device_steps_of_a_final_state_task_match_the_cpu_engine(string task, string cell, int layers, bool weighted)
    {
        var options = Options(task, weighted);
        var cpu = new Trainer(new SequenceModel(Config(task, cell, layers)), Data(task), options);
        var (cpuLosses, cpuValidation) = Run(cpu);

        var onDevice = DeviceTrainer(new SequenceModel(Config(task, cell, layers)), Data(task), options, out var engine);
        var initial = onDevice.Model.Parameters.Data.ToArray();
        using (engine)
        {
            var (losses, validation) = Run(onDevice);
            double lossError = MaxRelative(losses, cpuLosses), validationError = MaxRelative(validation, cpuValidation);
            double weightError = GpuTrainerTests.MaxWeightError(onDevice.Model.Parameters, cpu.Model.Parameters);
            output.WriteLine($"{task} {cell} ×{layers}{(weighted ? " weighted" : "")}: max relative loss error {lossError:E2}, " +
                             $"validation {validationError:E2}, weight error {weightError:E2}");
            Assert.InRange(lossError, 0, Tolerance);
            Assert.InRange(validationError, 0, Tolerance);
            Assert.InRange(weightError, 0, Tolerance);
        }
        double moved = initial.Zip(onDevice.Model.Parameters.Data, (a, b) => Math.Abs(a - b)).Max();
        Assert.True(moved > 1e-2, $"the weights moved by at most {moved:E2}");
    }

    [Fact]
    public void An_interrupted_forecast_run_resumes_on_the_device_from_its_checkpoint_to_the_uninterrupted_cpu_run()
    {
        using var dir = new Baton.Tests.IO.TempDirectory();
        string path = dir.File("last.safetensors");
        var cpu = new Trainer(new SequenceModel(Config("forecast", "lstm", 1)), Data("forecast"), Options("forecast", false));
        var (cpuLosses, _) = Run(cpu);

        // The first run has the whole run's cosine schedule and is cancelled after half of it: the checkpoint is written then.
        var first = DeviceTrainer(new SequenceModel(Config("forecast", "lstm", 1)), Data("forecast"), Options("forecast", false, Steps, path), out var firstEngine);
        var losses = new List<double>();
        using (firstEngine)
        {
            using var cancel = new CancellationTokenSource();
            first.Progress = p =>
            {
                losses.Add(p.Loss);
                if (p.Step == Steps / 2)
                    cancel.Cancel();
            };
            Assert.Equal(StopReason.Cancelled, first.Run(cancel.Token).Reason);
        }

        var data = Data("forecast");
        var resumed = Trainer.Resume(path, data, Options("forecast", false));
        Assert.Equal(Steps / 2, resumed.Step);
        using (var engine = new GpuTrainer(device, resumed.Model, resumed.Options, data.MaxT, data.MaxB))
        {
            resumed.UseEngine(engine);
            losses.AddRange(Run(resumed).Losses);
        }
        double lossError = MaxRelative(losses, cpuLosses), weightError = GpuTrainerTests.MaxWeightError(resumed.Model.Parameters, cpu.Model.Parameters);
        output.WriteLine($"forecast resumed on the device: max relative loss error {lossError:E2}, weight error {weightError:E2}");
        Assert.InRange(lossError, 0, Tolerance);
        Assert.InRange(weightError, 0, Tolerance);
    }

    [Fact]
    public void The_forecast_trainer_on_the_device_keeps_the_cpu_runs_step_blend_and_weights()
    {
        double[] y = [.. Enumerable.Range(0, 120).Select(t => 100 + 2.0 * t + 15 * Math.Sin(2 * Math.PI * t / 12) + 3 * Math.Sin(0.9 * t))];
        var frame = new TimeSeriesFrame(["y"], [y], [], null);
        var scheme = new ForecastScheme { Normalisation = ForecastNormalisation.Window, LagSeasons = [12], LevelRows = 12, Base = ForecastBase.SeasonalNaive, BaseSeason = 12 };
        var data = new ForecastData(frame, ["y"], [], window: 12, horizon: 3, scheme, testRows: 0);
        var options = new ForecastOptions { Hidden = 8, Steps = 12, BatchSize = 16, EvalEvery = 4, Seed = 3 };

        var cpu = ForecastTrainer.Train(data, options);
        var onDevice = ForecastTrainer.Train(data, options, engineFactory: (model, trainerOptions, maxT, maxB) => new GpuTrainer(device, model, trainerOptions, maxT, maxB));
        double lossError = Math.Abs(onDevice.ValidationLoss - cpu.ValidationLoss) / cpu.ValidationLoss;
        double weightError = GpuTrainerTests.MaxWeightError(onDevice.Model.Parameters, cpu.Model.Parameters);
        output.WriteLine($"ForecastTrainer: validation loss error {lossError:E2}, weight error {weightError:E2}, blend {onDevice.Scheme.Blend}");
        Assert.Equal(cpu.BestStep, onDevice.BestStep);
        Assert.Equal(cpu.Scheme.Blend, onDevice.Scheme.Blend);
        Assert.InRange(lossError, 0, Tolerance);
        Assert.InRange(weightError, 0, Tolerance);
        Assert.InRange(Math.Abs(onDevice.ValidationError - cpu.ValidationError) / cpu.ValidationError, 0, Tolerance);
    }

    [Fact]
    public void The_classify_trainer_on_the_device_keeps_the_cpu_runs_epochs_and_weights()
    {
        var config = Config("classify", "gru", 1);
        var options = new ClassifyOptions { Hidden = H, Epochs = 3, BatchSize = Batch, LearningRate = 0.02, Seed = 3 };
        var train = Examples("classify", 23, 5);
        var validation = Examples("classify", 7, 6);

        var cpu = ClassifyTrainer.Train(config, train, validation, options);
        var onDevice = ClassifyTrainer.Train(config, train, validation, options,
            engineFactory: (model, trainerOptions, maxT, maxB) => new GpuTrainer(device, model, trainerOptions, maxT, maxB));
        Assert.Equal(cpu.BestEpoch, onDevice.BestEpoch);
        Assert.Equal(cpu.ClassWeights, onDevice.ClassWeights);
        Assert.Equal(cpu.History.Select(e => e.ValidationAccuracy), onDevice.History.Select(e => e.ValidationAccuracy));
        double trainError = MaxRelative([.. onDevice.History.Select(e => e.TrainLoss)], [.. cpu.History.Select(e => e.TrainLoss)]);
        double validationError = MaxRelative([.. onDevice.History.Select(e => e.ValidationLoss!.Value)], [.. cpu.History.Select(e => e.ValidationLoss!.Value)]);
        double weightError = GpuTrainerTests.MaxWeightError(onDevice.Model.Parameters, cpu.Model.Parameters);
        output.WriteLine($"ClassifyTrainer: train loss error {trainError:E2}, validation {validationError:E2}, weight error {weightError:E2}");
        Assert.InRange(trainError, 0, Tolerance);
        Assert.InRange(validationError, 0, Tolerance);
        Assert.InRange(weightError, 0, Tolerance);
    }

    [Theory]
    [InlineData("classify", "bidirectional", "bidirectional layers")]
    [InlineData("forecast", "mae", "the mae loss")]
    [InlineData("forecast_steps", "", "task 'forecast_steps'")]
    [InlineData("classify", "mingru", "the mingru cell for classify")]
    public void What_the_device_does_not_train_yet_is_refused_by_name(string task, string what, string named)
    {
        var config = Config(task, what == "mingru" ? "mingru" : "gru", 1) with { Bidirectional = what == "bidirectional" };
        var options = (task == "classify" ? Options("classify", false) : Options("forecast", false)) with { RegressionLoss = what == "mae" ? "mae" : "mse" };
        var e = Assert.Throws<NotSupportedException>(() => new GpuTrainer(device, new SequenceModel(config), options, 6, Batch));
        Assert.Contains(named, e.Message);
    }
}
