using System.Diagnostics;
using Baton.Lab.Tasks;
using Baton.Numerics;
using Baton.Training;

namespace Baton.Lab;

/// <summary>Settings of one <see cref="MemoryLab.Run"/>.</summary>
internal sealed record MemoryRunOptions
{
    /// <summary>Hidden units H.</summary>
    public int Hidden { get; init; } = 32;

    /// <summary>Sequences per training step.</summary>
    public int Batch { get; init; } = 32;

    /// <summary>Most training steps.</summary>
    public int Steps { get; init; } = 3000;

    /// <summary>Adam's learning rate.</summary>
    public double LearningRate { get; init; } = 0.01;

    /// <summary>Global gradient-norm clip.</summary>
    public double Clip { get; init; } = 1.0;

    /// <summary>Steps between validations (which may stop training early once solved).</summary>
    public int EvalEvery { get; init; } = 100;

    /// <summary>Sequences in the held-out test set the final score is measured on.</summary>
    public int TestSize { get; init; } = 1000;

    /// <summary>Seed of initialisation, training data and test data (each its own stream).</summary>
    public ulong Seed { get; init; } = 1;

    /// <summary>
    /// Shortest training sequence: with a value above 0, every step draws its length uniformly from
    /// [MinLength, length] (variable-length training); 0 trains at the one length given.
    /// </summary>
    public int MinLength { get; init; }

    /// <summary>Wall-clock limit of the training in seconds (0 = none).</summary>
    public double MaxSeconds { get; init; }
}

/// <summary>The outcome of one cell on one task at one length.</summary>
internal sealed record MemoryRunResult(string Task, string Cell, int Length, bool IsRegression, double Score, double Loss,
    double Baseline, bool Solved, int Steps, double Seconds, IReadOnlyList<(int Step, double Score)> History);

/// <summary>
/// Trains a <see cref="MemoryModel"/> on a <see cref="MemoryTask"/> with Adam and global-norm clipping, validates
/// every <see cref="MemoryRunOptions.EvalEvery"/> steps, stops early once the task is clearly solved, and scores
/// the model on a held-out test set against the input-blind baseline.
/// </summary>
internal static class MemoryLab
{
    /// <summary>Regression counts as solved below this MSE (the adding problem's baseline is 0.167).</summary>
    public const double SolvedMse = 0.01;

    /// <summary>Classification counts as solved at or above this accuracy.</summary>
    public const double SolvedAccuracy = 0.95;

    /// <summary>Validation sequences checked every EvalEvery steps.</summary>
    private const int ValidationSize = 256;

    /// <summary>Sequences per evaluation chunk (bounds the workspace).</summary>
    private const int EvalChunk = 250;

    /// <summary>True when <paramref name="score"/> meets the solve threshold of the task kind.</summary>
    public static bool IsSolved(bool regression, double score) => regression ? score < SolvedMse : score >= SolvedAccuracy;

    /// <summary>Trains and scores <paramref name="cell"/> on <paramref name="taskName"/> at sequence length <paramref name="length"/>.</summary>
    public static MemoryRunResult Run(string taskName, string cell, int length, MemoryRunOptions options, Action<string>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        var task = MemoryTask.Create(taskName);
        var (model, seconds, steps, history) = Train(task, cell, length, options, progress);
        var test = Dataset(task, length, options.TestSize, new Rng(options.Seed ^ 0x7E57_7E57UL));
        var (loss, score) = model.Evaluate(test);
        return new MemoryRunResult(task.Name, cell, length, task.IsRegression, score, loss, task.Baseline,
            IsSolved(task.IsRegression, score), steps, seconds, history);
    }

    /// <summary>Trains a fresh model; returns it with the wall time, steps taken and the validation history.</summary>
    public static (MemoryModel Model, double Seconds, int Steps, List<(int Step, double Score)> History) Train(
        MemoryTask task, string cell, int length, MemoryRunOptions options, Action<string>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(task);
        ArgumentNullException.ThrowIfNull(options);
        var model = new MemoryModel(task, cell, options.Hidden, new Rng(options.Seed));
        var (seconds, steps, history) = Train(model, length, options, progress);
        return (model, seconds, steps, history);
    }

    /// <summary>
    /// Trains <paramref name="model"/> in place on fresh batches of its task at <paramref name="length"/>; returns the
    /// wall time, the steps taken and the validation history.
    /// </summary>
    public static (double Seconds, int Steps, List<(int Step, double Score)> History) Train(
        MemoryModel model, int length, MemoryRunOptions options, Action<string>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.Steps, 0);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.Batch, 1);
        var task = model.Task;
        string cell = model.Recurrence.Cell;
        var optimizer = new Adam(model.Parameters, new OptimizerOptions { Kind = "adam", LearningRate = options.LearningRate });
        var data = new Rng(options.Seed ^ 0xDA7A_DA7AUL);
        var validation = Dataset(task, length, ValidationSize, new Rng(options.Seed ^ 0x0A11_DA7EUL));
        if (options.MinLength > length)
            throw new ArgumentOutOfRangeException(nameof(options), "MinLength exceeds the training length.");
        var batches = new Dictionary<int, TaskBatch>();
        var history = new List<(int, double)>();
        var clock = Stopwatch.StartNew();
        int step = 0;
        while (step < options.Steps)
        {
            int T = options.MinLength > 0 ? options.MinLength + data.NextInt(length - options.MinLength + 1) : length;
            if (!batches.TryGetValue(T, out var batch))
                batches[T] = batch = task.CreateBatch(T, options.Batch);
            task.Fill(batch, data);
            model.Parameters.ZeroGrad();
            model.Loss(batch, backward: true);
            GradientClipping.ClipByGlobalNorm(model.Parameters, options.Clip);
            optimizer.Step();
            step++;
            bool timeUp = options.MaxSeconds > 0 && clock.Elapsed.TotalSeconds >= options.MaxSeconds;
            if (step % options.EvalEvery == 0 || step == options.Steps || timeUp)
            {
                double score = model.Evaluate(validation).Score;
                history.Add((step, score));
                progress?.Invoke($"{task.Name} {cell} T={length} step {step}: {(task.IsRegression ? "mse" : "accuracy")} {score:G4}");
                if (ClearlySolved(task.IsRegression, score) || timeUp)
                    break;
            }
        }
        return (clock.Elapsed.TotalSeconds, step, history);
    }

    /// <summary>Early stop: half the MSE threshold, or 99 % accuracy, on the validation set.</summary>
    private static bool ClearlySolved(bool regression, double score) => regression ? score < SolvedMse / 2 : score >= 0.99;

    /// <summary><paramref name="count"/> fresh sequences in chunks of at most <see cref="EvalChunk"/>.</summary>
    public static TaskBatch[] Dataset(MemoryTask task, int length, int count, Rng rng)
    {
        ArgumentNullException.ThrowIfNull(task);
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        var chunks = new List<TaskBatch>();
        for (int start = 0; start < count; start += EvalChunk)
        {
            var chunk = task.CreateBatch(length, Math.Min(EvalChunk, count - start));
            task.Fill(chunk, rng);
            chunks.Add(chunk);
        }
        return chunks.ToArray();
    }
}
