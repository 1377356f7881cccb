using Baton.Layers;
using Baton.Models;
using Baton.Numerics;
using Baton.Training;

namespace Baton.Tests.Layers;

/// <summary>
/// Steady-state training and streaming steps allocate nothing on the calling thread: the recurrent stacks alone,
/// and the whole model's training step (forward, loss, backward, clipping, Adam) and streaming step.
/// </summary>
public sealed class RecurrentAllocationTests
{
    // The cells are internal types, so the theory data is typed object (xUnit needs a public data member).
    public static IEnumerable<object[]> Cells() =>
    [
        [CellKind.Rnn, 0], [CellKind.Gru, 0], [CellKind.Lstm, 0], [CellKind.Lstm, 8], [CellKind.MinGru, 0], [CellKind.MinLstm, 0],
    ];

    public static TheoryData<string> ModelCells() => new() { "rnn", "gru", "lstm", "mingru", "minlstm" };

    /// <summary>Bytes allocated on this thread by <paramref name="repeats"/> calls of <paramref name="step"/> after one warm-up call.</summary>
    /// <summary>
    /// Bytes allocated on this thread by <paramref name="repeats"/> steps once warm: the least of three rounds, so a
    /// one-off runtime allocation (tiered recompilation of a hot method) is not mistaken for a per-step one, which
    /// would show in every round.
    /// </summary>
    private static long SteadyAllocation(Action step, int repeats)
    {
        step();
        step();
        long least = long.MaxValue;
        for (int round = 0; round < 3; round++)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < repeats; i++)
                step();
            least = Math.Min(least, GC.GetAllocatedBytesForCurrentThread() - before);
        }
        return least;
    }

    /// <summary>Forward and Backward of a two-layer bidirectional stack with dropout; <paramref name="lengths"/> empty = every sequence has T steps.</summary>
    private static long StackTrainingAllocation(CellKind cell, int proj, int[] lengths)
    {
        var p = new Parameters();
        var stack = new RecurrentStack(new RecurrentOptions(cell, 24, 32, 2, Bidirectional: true, ProjSize: proj, Dropout: 0.2f), p);
        p.Freeze();
        stack.ResetParameters(new Rng(1));
        int T = 12, B = 5;
        var x = new float[T * B * 24];
        var ws = stack.CreateWorkspace(T, B);
        var y = new float[T * B * stack.OutputSize];
        var dx = new float[x.Length];
        var rng = new Rng(3);
        void Step()
        {
            stack.Forward(ws, x, T, B, lengths, [], [], y, [], [], training: true, rng: rng);
            stack.Backward(ws, y, [], [], dx, [], []);
        }
        return SteadyAllocation(Step, 3);
    }

    [Theory]
    [MemberData(nameof(Cells))]
    internal void Training_steps_allocate_nothing_once_warm(CellKind cell, int proj)
    {
        Assert.Equal(0, StackTrainingAllocation(cell, proj, []));
    }

    [Theory]
    [InlineData(CellKind.Rnn, 0)]
    [InlineData(CellKind.Gru, 0)]
    [InlineData(CellKind.Lstm, 0)]
    [InlineData(CellKind.Lstm, 8)]
    internal void Training_steps_with_variable_lengths_allocate_nothing_once_warm(CellKind cell, int proj)
    {
        Assert.Equal(0, StackTrainingAllocation(cell, proj, [12, 4, 9, 12, 1]));
    }

    [Theory]
    [InlineData(CellKind.MinGru)]
    [InlineData(CellKind.MinLstm)]
    internal void Min_cell_training_steps_with_variable_lengths_allocate_nothing_once_warm(CellKind cell)
    {
        Assert.Equal(0, StackTrainingAllocation(cell, 0, [12, 4, 9, 12, 1]));
    }

    /// <summary>
    /// Bytes the calling thread allocates, in each of three builds, for a one-layer stack, its parameters and gradients, a workspace and one training
    /// step of a full batch (forward keeping the caller's x, backward without dx), with every product on this thread. A
    /// first stack of the same shape runs before, so this thread's GEMM packing buffers, which any later product of the
    /// process reuses, are already grown. The test takes the least of the three: a one-off runtime allocation on this thread
    /// (CI once saw 96 KB more in one build) is not the step's, which every build shows.
    /// </summary>
    private static long[] TrainingStepBytes(CellKind cell, int T, int B, int I, int H)
    {
        var x = new float[T * B * I];
        var y = new float[T * B * H];
        Action Build()
        {
            var p = new Parameters();
            var stack = new RecurrentStack(new RecurrentOptions(cell, I, H), p);
            p.Freeze();
            stack.ResetParameters(new Rng(9));
            var ws = stack.CreateWorkspace(T, B);
            return () =>
            {
                stack.ForwardKeepingInput(ws, x, T, B, [], [], [], y, [], [], training: true);
                stack.Backward(ws, y, [], [], [], [], []);
            };
        }
        int saved = Threads.Count;
        try
        {
            Threads.Count = 1;
            Build()();
            var builds = new long[3];
            for (int round = 0; round < builds.Length; round++)
            {
                long before = GC.GetAllocatedBytesForCurrentThread();
                Build()();
                builds[round] = GC.GetAllocatedBytesForCurrentThread() - before;
            }
            return builds;
        }
        finally
        {
            Threads.Count = saved;
        }
    }

    /// <summary>
    /// What a training step holds, against the least BPTT must keep (the bench's min_mb: parameters, gradients and the
    /// floats per token the cell's derivative reads, h included): within one packed copy of W_hh (shared by the forward
    /// and backward products), a few [B, G·H] state rows and 64 KB of objects. The Elman cell also holds the
    /// pre-activation gradient of every step, [T·B, H], which its single weight-gradient GEMM reads beside h.
    /// </summary>
    [Theory]
    [InlineData(CellKind.Rnn)]
    [InlineData(CellKind.Gru)]
    [InlineData(CellKind.Lstm)]
    [InlineData(CellKind.MinGru)]
    [InlineData(CellKind.MinLstm)]
    internal void A_training_step_holds_little_more_than_bptt_must_keep(CellKind cell)
    {
        const int T = 48, B = 16, I = 40, H = 64;
        long[] builds = TrainingStepBytes(cell, T, B, I, H);
        long held = builds.Min();
        var p = new Parameters();
        _ = new RecurrentStack(new RecurrentOptions(cell, I, H), p);
        long least = Baton.Lab.Bench.Rows.RecurrentRows.MinimumBytes(cell, p.Count, B, T, H, L: 1);
        int gates = cell.ReadsPreviousState() ? cell.Gates() : 1;   // the min cells hold no W_hh copies: one block of slack
        long allowance = sizeof(float) * (gates * H * (long)H + 4L * B * gates * H + (cell == CellKind.Rnn ? (long)T * B * H : 0)) + (64 << 10);
        Assert.True(held <= least + allowance,
            $"{cell}: a training step holds {held} bytes, more than the least {least} + {allowance} ({(double)held / least:F2}× the least; builds: {string.Join(", ", builds)}).");
    }

    [Theory]
    [MemberData(nameof(Cells))]
    internal void Streaming_steps_allocate_nothing_once_warm(CellKind cell, int proj)
    {
        var p = new Parameters();
        var stack = new RecurrentStack(new RecurrentOptions(cell, 16, 32, 2, ProjSize: proj), p);
        p.Freeze();
        stack.ResetParameters(new Rng(4));
        var state = stack.CreateStreamState(3);
        var x = new float[3 * 16];
        var y = new float[3 * stack.OutputSize];
        Assert.Equal(0, SteadyAllocation(() => stack.Step(state, x, y), 10));
    }

    private static SequenceModel LanguageModel(string cell, int V = 11)
    {
        var config = new ModelConfig
        {
            Task = "lm", Cell = cell, Layers = 2, Hidden = 24, Embedding = 8, Dropout = 0.1f, OutputSize = V, Tokens = "chars",
            Vocab = Enumerable.Range(0, V).Select(i => ((char)('a' + i)).ToString()).ToArray(),
        };
        var model = new SequenceModel(config);
        model.ResetParameters(new Rng(5));
        return model;
    }

    private static int[] Tokens(int count, int V, ulong seed)
    {
        var rng = new Rng(seed);
        var ids = new int[count];
        for (int i = 0; i < ids.Length; i++)
            ids[i] = rng.NextInt(V);
        return ids;
    }

    [Theory]
    [MemberData(nameof(ModelCells))]
    public void A_whole_model_training_step_with_clipping_and_adam_allocates_nothing_once_warm(string cell)
    {
        var model = LanguageModel(cell);
        int T = 10, B = 4, V = model.Config.OutputSize;
        int[] ids = Tokens(T * B, V, seed: 6), targets = Tokens(T * B, V, seed: 7);
        var ws = model.CreateWorkspace(T, B);
        var dOutput = new float[T * B * V];
        var optimizer = Optimizer.Create(new OptimizerOptions { Kind = "adam" }, model.Parameters);
        var rng = new Rng(8);
        void Step()
        {
            var logits = model.ForwardTokens(ws, ids, T, B, useState: true, training: true, rng: rng);
            Losses.CrossEntropy(logits, targets, V, dOutput);
            model.Parameters.ZeroGrad();
            model.Backward(ws, dOutput);
            GradientClipping.ClipByValue(model.Parameters, 1f);
            GradientClipping.ClipByGlobalNorm(model.Parameters, 0.5);
            optimizer.Step();
            ws.CarryState();
        }
        Assert.Equal(0, SteadyAllocation(Step, 3));
    }

    [Theory]
    [InlineData("lstm")]
    [InlineData("mingru")]
    public void The_trainer_allocates_nothing_per_step(string cell)
    {
        // Run() has a fixed cost (its clock, its result); two runs of different lengths differ only by their steps.
        var corpus = Tokens(2000, 11, seed: 9);
        long RunAllocation(long steps)
        {
            var model = LanguageModel(cell);
            var options = new TrainerOptions { MaxSteps = steps, HistoryEvery = 1000, ClipValue = 1f, ClipNorm = 0.5 };
            var trainer = new Trainer(model, new TokenStreams(corpus, null, batchSize: 4, seqLength: 10), options);
            long before = GC.GetAllocatedBytesForCurrentThread();
            trainer.Run();
            return GC.GetAllocatedBytesForCurrentThread() - before;
        }
        RunAllocation(2);
        // A per-step allocation makes every 13-step run cost more than every 3-step run; a one-off (the JIT tiering a
        // hot method up) can spoil one pair, so the pairs get three chances to agree.
        var pairs = new List<(long Three, long Thirteen)>();
        for (int attempt = 0; attempt < 3 && (pairs.Count == 0 || pairs[^1].Three != pairs[^1].Thirteen); attempt++)
            pairs.Add((RunAllocation(3), RunAllocation(13)));
        Assert.Equal(pairs[^1].Three, pairs[^1].Thirteen);
    }

    [Theory]
    [MemberData(nameof(ModelCells))]
    public void Model_streaming_steps_and_sampling_allocate_nothing_once_warm(string cell)
    {
        var model = LanguageModel(cell);
        var stream = model.CreateStream(2);
        int[] ids = [3, 7];
        Assert.Equal(0, SteadyAllocation(() => model.Step(stream, ids), 10));

        var generator = new TextGenerator(model);
        var rng = new Rng(10);
        generator.Feed(1);
        Assert.Equal(0, SteadyAllocation(() => generator.Next(0.8f, 5, 0.9f, rng), 10));
        Assert.Equal(0, SteadyAllocation(() => generator.Next(0f, 0, 1f, rng), 10));
    }

    [Fact]
    public void Forecast_streaming_allocates_nothing_per_row_once_warm()
    {
        var config = new ModelConfig
        {
            Task = "forecast", Cell = "gru", Layers = 1, Hidden = 16, InputSize = 3, OutputSize = 4, Horizon = 2, Window = 6,
            Features = ["a", "b", "c"], Targets = ["a", "b"], FeatureMean = [1f, 2f, 3f], FeatureStd = [2f, 1f, 0.5f],
            TargetMean = [1f, 2f], TargetStd = [2f, 1f],
        };
        var model = new SequenceModel(config);
        model.ResetParameters(new Rng(11));
        var stream = new ForecastStream(model);
        double[] row = [0.5, -1, 2];
        var forecast = new double[4];
        Assert.Equal(0, SteadyAllocation(() => stream.Push(row, forecast), 2 * config.Window));
    }
}
