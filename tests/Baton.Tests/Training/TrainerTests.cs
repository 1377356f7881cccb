using Baton.IO;
using Baton.Models;
using Baton.Numerics;
using Baton.Tests.IO;
using Baton.Training;

namespace Baton.Tests.Training;

public class TrainerTests
{
    private static int[] Corpus(int n, int vocab, ulong seed)
    {
        var rng = new Rng(seed);
        return Enumerable.Range(0, n).Select(i => rng.NextFloat() < 0.2f ? rng.NextInt(vocab) : (i * 3 + i / 7) % vocab).ToArray();
    }

    private static ModelConfig Lm(float dropout = 0.1f) => new()
    {
        Task = "lm", Cell = "lstm", Layers = 2, Hidden = 12, Embedding = 6, OutputSize = 7, Dropout = dropout, Tokens = "chars",
        Vocab = ["a", "b", "c", "d", "e", "f", "g"],
    };

    private static TrainerOptions ResumableOptions(string checkpoint) => new()
    {
        Seed = 42,
        MaxSteps = 14,
        Optimizer = new OptimizerOptions { Kind = "adam", LearningRate = 0.01, WeightDecay = 1e-4 },
        Schedule = new ScheduleOptions { Kind = "cosine", WarmupSteps = 3, WarmupStartFactor = 0.25 },
        ClipNorm = 1.0,
        EvalEvery = 4,
        HistoryEvery = 2,
        CheckpointEvery = 5,
        CheckpointPath = checkpoint,
    };

    // 3 streams of 60 tokens, 8 steps a batch: 7 batches an epoch, so 14 steps cross an epoch boundary (state reset).
    private static TokenStreams ResumableData() => new(Corpus(181, 7, 1), Corpus(100, 7, 2), 3, 8);

    [Fact]
    public void Resuming_after_a_crash_ends_bit_identical_to_the_uninterrupted_run()
    {
        using var dir = new TempDirectory();
        var straight = new Trainer(new SequenceModel(Lm()), ResumableData(), ResumableOptions(dir.File("straight.safetensors")));
        Assert.Equal(StopReason.Completed, straight.Run().Reason);

        // The crash: the process dies at step 12, after the step-10 checkpoint, with a half-written temporary file beside it.
        string path = dir.File("crashed.safetensors");
        var crashed = new Trainer(new SequenceModel(Lm()), ResumableData(), ResumableOptions(path));
        crashed.Progress = p =>
        {
            if (p.Step == 12)
                throw new IOException("simulated crash");
        };
        Assert.Throws<IOException>(() => crashed.Run());
        var complete = File.ReadAllBytes(path);
        File.WriteAllBytes(Path.Combine(dir.Path, $".crashed.safetensors.{Environment.ProcessId}.0123456789abcdef.tmp"), complete[..(complete.Length / 2)]);

        var resumed = Trainer.Resume(path, ResumableData());
        Assert.Equal(10, resumed.Step);
        var result = resumed.Run();
        Assert.Equal(StopReason.Completed, result.Reason);
        Assert.Equal(14, result.Step);
        Assert.Equal(straight.Model.Parameters.Data, resumed.Model.Parameters.Data);
        foreach (var (name, state) in straight.Optimizer.State)
            Assert.Equal(state, resumed.Optimizer.State[name]);
        Assert.Equal(straight.Rng.State, resumed.Rng.State);
        Assert.Equal(straight.History, resumed.History);
        Assert.Equal(7, straight.History.Count);
        Assert.NotNull(straight.History[^1].ValidationLoss);
    }

    [Fact]
    public void The_same_seed_gives_an_identical_run_and_another_seed_does_not()
    {
        var options = new TrainerOptions { Seed = 7, MaxSteps = 6, Optimizer = new OptimizerOptions { Kind = "rmsprop", LearningRate = 0.003 } };
        float[] Run(TrainerOptions o)
        {
            var trainer = new Trainer(new SequenceModel(Lm(dropout: 0.3f)), ResumableData(), o);
            trainer.Run();
            return trainer.Model.Parameters.Data;
        }
        var first = Run(options);
        Assert.Equal(first, Run(options));
        Assert.NotEqual(first, Run(options with { Seed = 8 }));
    }

    [Fact]
    public void Training_results_do_not_depend_on_the_thread_count()
    {
        var options = new TrainerOptions { Seed = 9, MaxSteps = 3, Optimizer = new OptimizerOptions { Kind = "adamw", LearningRate = 0.01 } };
        float[] Run(int threads)
        {
            int saved = Threads.Count;
            Threads.Count = threads;
            try
            {
                var trainer = new Trainer(new SequenceModel(Lm() with { Hidden = 40 }), ResumableData(), options);
                trainer.Run();
                return trainer.Model.Parameters.Data;
            }
            finally
            {
                Threads.Count = saved;
            }
        }
        Assert.Equal(Run(1), Run(2));
    }

    [Fact]
    public void Over_fits_one_batch_to_near_zero_loss()
    {
        const double Threshold = 0.02;
        var corpus = Corpus(4 * 16 + 1, 7, 3);
        var data = new TokenStreams(corpus, null, 4, 16);
        Assert.Equal(1, data.BatchesPerEpoch);
        var trainer = new Trainer(new SequenceModel(Lm(dropout: 0) with { Hidden = 24, Layers = 1 }), data, new TrainerOptions
        {
            Seed = 3, MaxSteps = 100, Optimizer = new OptimizerOptions { Kind = "adam", LearningRate = 0.03 }, ClipNorm = 5,
        });
        double first = double.NaN;
        trainer.Progress = p =>
        {
            if (p.Step == 1)
                first = p.Loss;
        };
        var result = trainer.Run();
        Assert.True(first > 1.5, $"initial loss {first}");
        Assert.True(result.LastLoss < Threshold, $"loss after {result.Step} steps: {result.LastLoss}");
    }

    /// <summary>Random forecast windows whose batch <see cref="PoisonAt"/> carries a NaN (as a corrupted feed would).</summary>
    private sealed class PoisonedFeed(int poisonAt) : ITrainingData
    {
        private long next;
        public int PoisonAt { get; } = poisonAt;
        public int MaxT => 5;
        public int MaxB => 2;
        public int InputSize => 2;
        public int TargetSize => 1;
        public int ValidationBatchCount => 0;
        public long[] Position { get => [next]; set => next = value[0]; }

        public void NextTrain(TrainingBatch batch)
        {
            var rng = new Rng((ulong)next + 100);
            batch.T = 5;
            batch.B = 2;
            batch.HasLengths = false;
            batch.ContinuesState = false;
            for (int i = 0; i < 20; i++)
                batch.Features[i] = rng.Uniform(-1, 1);
            batch.Targets[0] = rng.Uniform(-1, 1);
            batch.Targets[1] = rng.Uniform(-1, 1);
            if (++next == PoisonAt)
                batch.Features[3] = float.NaN;
        }

        public void GetValidation(int index, TrainingBatch batch) => throw new InvalidOperationException();
    }

    [Fact]
    public void A_nan_loss_stops_at_its_step_and_keeps_the_last_good_checkpoint()
    {
        using var dir = new TempDirectory();
        string path = dir.File("forecast.safetensors");
        var model = new SequenceModel(new ModelConfig { Task = "forecast", Cell = "gru", Hidden = 4, InputSize = 2, OutputSize = 1 });
        var trainer = new Trainer(model, new PoisonedFeed(7), new TrainerOptions
        {
            MaxSteps = 20, Optimizer = new OptimizerOptions { Kind = "sgd", LearningRate = 0.1 }, CheckpointEvery = 5, CheckpointPath = path,
        });
        float[]? afterStep6 = null;
        byte[]? checkpointAfterStep5 = null;
        trainer.Progress = p =>
        {
            if (p.Step == 5)
                checkpointAfterStep5 = File.ReadAllBytes(path);
            if (p.Step == 6)
                afterStep6 = (float[])model.Parameters.Data.Clone();
        };
        var result = trainer.Run();
        Assert.Equal(StopReason.Diverged, result.Reason);
        Assert.Equal(6, result.Step);
        Assert.StartsWith("step 7: training loss is NaN", result.Message);
        Assert.Contains($"{path} (step 5) is kept", result.Message);
        Assert.Equal(checkpointAfterStep5, File.ReadAllBytes(path));
        Assert.Equal(afterStep6, model.Parameters.Data);
        Assert.Equal(5, Checkpoint.Load(path).State.Step);
    }

    [Fact]
    public void Nan_in_example_data_is_rejected_naming_the_example_step_and_feature()
    {
        var examples = new[]
        {
            new SequenceExample(null, [1, 2, 3, 4], Target: [0f]),
            new SequenceExample(null, [1, 2, float.NaN, 4, 5, 6], Target: [1f]),
        };
        var e = Assert.Throws<ArgumentException>(() => new SequenceExamples(examples, null, 2, 1, 2, 1));
        Assert.Contains("training example 1: feature 0 at step 1 is NaN", e.Message);
    }

    [Fact]
    public void Early_stopping_ends_the_run_after_patience_validations_without_improvement()
    {
        // With a zero learning rate the validation loss never improves on the first one.
        var trainer = new Trainer(new SequenceModel(Lm(dropout: 0)), ResumableData(), new TrainerOptions
        {
            MaxSteps = 100, Optimizer = new OptimizerOptions { Kind = "sgd", LearningRate = 0 }, EvalEvery = 2, Patience = 3,
        });
        var result = trainer.Run();
        Assert.Equal(StopReason.EarlyStopped, result.Reason);
        Assert.Equal(8, result.Step);
        Assert.Equal(2, result.BestStep);
        Assert.Contains("early stop at step 8", result.Message);
    }

    [Fact]
    public void A_bidirectional_classifier_learns_variable_length_sequences()
    {
        // Label: does the sequence contain more 'a' (0) than 'b' (1)? Lengths 3..9.
        var rng = new Rng(17);
        var examples = new List<SequenceExample>();
        while (examples.Count < 24)
        {
            var tokens = Enumerable.Range(0, 3 + rng.NextInt(7)).Select(_ => rng.NextInt(3)).ToArray();
            int a = tokens.Count(t => t == 0), b = tokens.Count(t => t == 1);
            if (a != b)
                examples.Add(new SequenceExample(tokens, null, a > b ? 1 : 0));
        }
        var data = new SequenceExamples(examples, examples.Take(8).ToList(), 0, 0, 8, seed: 5);
        var model = new SequenceModel(new ModelConfig
        {
            Task = "classify", Cell = "gru", Hidden = 16, Embedding = 4, Bidirectional = true, OutputSize = 2, Vocab = ["a", "b", "c"], Classes = ["b", "a"],
        });
        var trainer = new Trainer(model, data, new TrainerOptions
        {
            Seed = 2, MaxSteps = 80, Optimizer = new OptimizerOptions { Kind = "adam", LearningRate = 0.03 }, EvalEvery = 40,
        });
        var result = trainer.Run();
        Assert.Equal(StopReason.Completed, result.Reason);
        Assert.True(result.LastLoss < 0.1, $"training loss {result.LastLoss}");
        Assert.True(trainer.Evaluate() < 0.1, $"validation loss {trainer.Evaluate()}");
    }

    [Fact]
    public void A_loss_that_stays_above_twice_a_uniform_guess_stops_the_run_as_diverged_and_keeps_the_last_checkpoint()
    {
        using var dir = new TempDirectory();
        string checkpoint = dir.File("last.safetensors");
        var trainer = new Trainer(new SequenceModel(Lm(dropout: 0)), ResumableData(), new TrainerOptions
        {
            Seed = 5, MaxSteps = 20, HistoryEvery = 1, CheckpointEvery = 1, CheckpointPath = checkpoint, ClipNorm = 0,
            Optimizer = new OptimizerOptions { Kind = "sgd", LearningRate = 1e-9 },
        });
        // A head that bets everything on token 0: a loss near 60 nats on every other token, far above 2·ln 7 = 3.89,
        // and finite, so only the uniform-guess alarm can stop it.
        Assert.True(trainer.Model.Parameters.TryGet("head.bias", out var bias));
        trainer.Model.Parameters.Value(bias)[0] = 60;
        trainer.Model.Parameters.MarkChanged();
        var result = trainer.Run();
        Assert.Equal(StopReason.Diverged, result.Reason);
        Assert.Equal(Trainer.DivergenceChecks, result.Step);
        Assert.Contains("has stayed above 3.892", result.Message);
        Assert.Equal(Trainer.DivergenceChecks - 1, Checkpoint.Load(checkpoint).State.Step);
    }
}
