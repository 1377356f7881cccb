using Baton.IO;
using Baton.Models;
using Baton.Numerics;
using Baton.Tests.IO;
using Baton.Training;

namespace Baton.Tests.Training;

public class CheckpointTests
{
    private static List<SequenceExample> Windows(int count, ulong seed)
    {
        var rng = new Rng(seed);
        return Enumerable.Range(0, count).Select(_ =>
        {
            var x = Enumerable.Range(0, 6 * 2).Select(_ => rng.Uniform(-1, 1)).ToArray();
            return new SequenceExample(null, x, Target: [x[^2] + x[^1], x[0]]);
        }).ToList();
    }

    private static SequenceExamples Data() => new(Windows(13, 1), Windows(4, 2), inputSize: 2, targetSize: 2, batchSize: 4, seed: 9);

    private static TrainerOptions Options(string path) => new()
    {
        Seed = 5, MaxSteps = 11, Optimizer = new OptimizerOptions { Kind = "sgd", LearningRate = 0.05, Momentum = 0.9, Nesterov = true },
        Schedule = new ScheduleOptions { Kind = "step", StepSize = 4, Gamma = 0.5 }, RegressionLoss = "huber", HuberDelta = 0.5f,
        EvalEvery = 3, CheckpointEvery = 3, CheckpointPath = path,
    };

    private static SequenceModel Forecaster() =>
        new(new ModelConfig { Task = "forecast", Cell = "gru", Hidden = 6, InputSize = 2, OutputSize = 2, Dropout = 0.2f });

    [Fact]
    public void A_shuffled_forecast_run_resumed_mid_epoch_ends_bit_identical()
    {
        using var dir = new TempDirectory();
        var straight = new Trainer(Forecaster(), Data(), Options(dir.File("a.safetensors")));
        straight.Run();

        string path = dir.File("b.safetensors");
        var first = new Trainer(Forecaster(), Data(), Options(path));
        using var cancel = new CancellationTokenSource();
        first.Progress = p =>
        {
            if (p.Step == 6)
                cancel.Cancel();
        };
        Assert.Equal(StopReason.Cancelled, first.Run(cancel.Token).Reason);
        var resumed = Trainer.Resume(path, Data());
        Assert.Equal(6, resumed.Step);
        Assert.Equal(StopReason.Completed, resumed.Run().Reason);
        Assert.Equal(straight.Model.Parameters.Data, resumed.Model.Parameters.Data);
        Assert.Equal(straight.History, resumed.History);
    }

    [Fact]
    public void A_checkpoint_is_also_a_model_file_and_keeps_its_training_state()
    {
        using var dir = new TempDirectory();
        string path = dir.File("c.safetensors");
        var trainer = new Trainer(Forecaster(), Data(), Options(path) with { MaxSteps = 6 });
        trainer.Run();
        var model = ModelFile.Load(path);
        Assert.Equal(trainer.Model.Parameters.Data, model.Parameters.Data);
        var state = Checkpoint.ReadState(SafeTensorsFile.Read(path));
        Assert.NotNull(state);
        Assert.Equal(6, state.Step);
        Assert.Equal(6, state.OptimizerSteps);
        Assert.Equal("sgd", state.Options.Optimizer.Kind);
        Assert.Contains(state.BestStep, new long[] { 3, 6 });
        Assert.NotNull(state.BestValidationLoss);
        Assert.Equal(trainer.Rng.State, state.Rng.Select(s => Convert.ToUInt64(s, 16)).ToArray());
    }

    [Fact]
    public void A_plain_model_file_is_not_a_checkpoint()
    {
        using var dir = new TempDirectory();
        string path = dir.File("m.safetensors");
        ModelFile.Save(Forecaster(), path);
        var e = Assert.Throws<SafeTensorsFormatException>(() => Checkpoint.Load(path));
        Assert.Contains("not a training checkpoint", e.Message);
        Assert.Null(Checkpoint.ReadState(SafeTensorsFile.Read(path)));
    }

    [Fact]
    public void Resuming_with_another_optimizer_names_the_missing_state_tensor()
    {
        using var dir = new TempDirectory();
        string path = dir.File("sgd.safetensors");
        new Trainer(Forecaster(), Data(), Options(path) with { MaxSteps = 3 }).Run();
        var adam = Options(path) with { Optimizer = new OptimizerOptions { Kind = "adam" } };
        var e = Assert.Throws<SafeTensorsFormatException>(() => Trainer.Resume(path, Data(), adam));
        Assert.Equal("optimizer.exp_avg", e.TensorName);
        Assert.Contains(path, e.Message);
    }
}
