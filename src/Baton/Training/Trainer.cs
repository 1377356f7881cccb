using System.Diagnostics;
using System.Globalization;
using Baton.Distributed;
using Baton.IO;
using Baton.Models;
using Baton.Numerics;

namespace Baton.Training;

/// <summary>
/// Trains a <see cref="SequenceModel"/> with truncated backpropagation through time. Each step: the learning rate of the
/// schedule, the next batch, forward from the carried (detached) state when the batch continues the previous one's streams,
/// the loss (lm: token cross-entropy with padding ignored; classify: cross-entropy; forecast: MSE/MAE/Huber), backward,
/// clipping (by value, then by global norm), one optimizer update, and the final state carried to the next batch.
/// Validation every <see cref="TrainerOptions.EvalEvery"/> steps with early stopping; a NaN/Inf loss or gradient stops the
/// run before the update and keeps the last checkpoint. One <see cref="Rng"/> seeded from <see cref="TrainerOptions.Seed"/>
/// drives initialisation and dropout, and its state goes into checkpoints, so that a resumed run ends bit-identical to an
/// uninterrupted one. Under an MPI launcher (mpirun, srun) the run is data-parallel: each rank takes its rows of every
/// batch and the gradients are summed over the ranks before the update (see docs/DISTRIBUTED.md); rank 0 alone writes files.
/// </summary>
public sealed class Trainer
{
    private readonly ITrainingData data;
    private readonly LearningRateSchedule schedule;
    private readonly SequenceWorkspace workspace;
    private readonly TrainingBatch batch;
    private readonly float[] dOutput;
    private readonly List<HistoryEntry> history = [];
    private SequenceWorkspace? evalWorkspace;
    private TrainingBatch? evalBatch;
    private long step;
    private double? bestValidation;
    private long bestStep;
    private int badEvaluations;
    private double pendingLossSum;
    private int pendingLossCount;
    private double? lastValidation;
    private long tokens;
    private double elapsedBefore;
    private long lastCheckpointStep = -1;
    private readonly DataParallel? parallel;
    private readonly int globalMaxB;

    /// <summary>Prepares a run of <paramref name="model"/> on <paramref name="data"/>; initialises the parameters from the seed unless told not to.</summary>
    public Trainer(SequenceModel model, ITrainingData data, TrainerOptions options)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(options);
        var config = model.Config;
        if (config.UsesEmbedding != (data.InputSize == 0))
            throw new ArgumentException(config.UsesEmbedding
                ? "The model reads token ids but the data holds features."
                : "The model reads features but the data holds token ids.", nameof(data));
        if (!config.UsesEmbedding && data.InputSize != config.InputSize)
            throw new ArgumentException($"The data has {data.InputSize} features, the model reads {config.InputSize}.", nameof(data));
        if (config.Task == "forecast" && data.TargetSize != config.OutputSize)
            throw new ArgumentException($"The data has {data.TargetSize} targets per example, the model predicts {config.OutputSize}.", nameof(data));
        if (config.Task != "forecast" && data.TargetSize != 0)
            throw new ArgumentException($"Task '{config.Task}' takes labels, not regression targets.", nameof(data));
        ArgumentOutOfRangeException.ThrowIfLessThan(options.MaxSteps, 1, nameof(options));
        if (options.EvalEvery < 0 || options.Patience < 0 || options.CheckpointEvery < 0 || options.HistoryEvery < 1)
            throw new ArgumentOutOfRangeException(nameof(options), "eval_every, patience and checkpoint_every must be >= 0, history_every >= 1.");
        if (options.EvalEvery > 0 && data.ValidationBatchCount == 0)
            throw new ArgumentException("Validation every N steps was asked for but the data has no validation batches.", nameof(options));
        if (options.Patience > 0 && options.EvalEvery == 0)
            throw new ArgumentException("Early stopping (patience) needs validation (eval_every > 0).", nameof(options));
        if (options.CheckpointEvery > 0 && string.IsNullOrEmpty(options.CheckpointPath))
            throw new ArgumentException("checkpoint_every needs a checkpoint path.", nameof(options));
        if (options.RegressionLoss is not ("mse" or "mae" or "huber"))
            throw new ArgumentException($"Unknown regression loss '{options.RegressionLoss}' (mse, mae, huber).", nameof(options));

        globalMaxB = data.MaxB;
        parallel = DataParallel.Current;
        if (parallel is not null)
        {
            if (parallel.Size > 1 && config.Dropout > 0)
                throw new ArgumentException("Dropout is not supported in data-parallel training: its masks are drawn over the whole batch from one generator.", nameof(model));
            data = parallel.Shard(data);
        }
        Model = model;
        this.data = data;
        Options = options;
        Rng = new Rng(options.Seed);
        if (options.InitializeParameters)
            model.ResetParameters(Rng);
        Optimizer = Optimizer.Create(options.Optimizer, model.Parameters);
        schedule = new LearningRateSchedule(options.Schedule, options.Optimizer.LearningRate, options.MaxSteps);
        workspace = model.CreateWorkspace(data.MaxT, data.MaxB);
        batch = new TrainingBatch(data.MaxT, data.MaxB, data.InputSize, data.TargetSize);
        dOutput = new float[workspace.Output.Length];
        if (parallel is not null)
        {
            parallel.CheckSameSettings($"{options} | {model.Parameters.Count} parameters | data T {data.MaxT} B {globalMaxB} I {data.InputSize} " +
                                       $"targets {data.TargetSize} validation batches {data.ValidationBatchCount}");
            parallel.Broadcast(model.Parameters.Data);
            model.Parameters.MarkChanged();
        }
    }

    private int StateBlocks => Model.Config.Layers * (Model.Config.Bidirectional ? 2 : 1);

    /// <summary>The model trained.</summary>
    public SequenceModel Model { get; }

    /// <summary>The run's settings.</summary>
    public TrainerOptions Options { get; }

    /// <summary>The optimizer (its state goes into checkpoints).</summary>
    public Optimizer Optimizer { get; }

    /// <summary>The generator for initialisation and dropout.</summary>
    public Rng Rng { get; }

    /// <summary>Completed steps.</summary>
    public long Step => step;

    /// <summary>Mean training loss every <see cref="TrainerOptions.HistoryEvery"/> steps.</summary>
    public IReadOnlyList<HistoryEntry> History => history;

    /// <summary>Called after every step (on the training thread).</summary>
    public Action<TrainingProgress>? Progress { get; set; }

    /// <summary>
    /// Continues the run saved in <paramref name="checkpointPath"/>: weights, optimizer state, step, RNG, data position,
    /// carried state, early-stopping state and history are restored; the checkpoint's options are used unless
    /// <paramref name="options"/> is given (a different MaxSteps changes a cosine schedule).
    /// </summary>
    public static Trainer Resume(string checkpointPath, ITrainingData data, TrainerOptions? options = null)
    {
        var checkpoint = Checkpoint.Load(checkpointPath);
        var state = checkpoint.State;
        var trainer = new Trainer(checkpoint.Model, data, (options ?? state.Options) with { InitializeParameters = false });
        trainer.Restore(checkpoint);
        return trainer;
    }

    private void Restore(CheckpointData checkpoint)
    {
        var state = checkpoint.State;
        string file = checkpoint.FilePath;
        foreach (var (name, array) in Optimizer.State)
        {
            if (!checkpoint.OptimizerState.TryGetValue(name, out var saved))
                throw new SafeTensorsFormatException(file, Checkpoint.OptimizerPrefix + name,
                    $"missing: the {Options.Optimizer.Kind} optimizer needs it (was the checkpoint written with another optimizer?).");
            saved.CopyTo(array, 0);
        }
        Optimizer.StepCount = state.OptimizerSteps;
        try
        {
            Rng.State = state.Rng.Select(s => ulong.Parse(s, NumberStyles.HexNumber, CultureInfo.InvariantCulture)).ToArray();
            data.Position = state.DataPosition;
        }
        catch (Exception e) when (e is FormatException or ArgumentException or OverflowException)
        {
            throw new SafeTensorsFormatException(file, null, $"{Checkpoint.StateKey}: {e.Message}");
        }
        int h0Length = workspace.H0.Length / data.MaxB * globalMaxB, c0Length = workspace.C0.Length / data.MaxB * globalMaxB;
        if (checkpoint.H0.Length != h0Length || checkpoint.C0.Length != c0Length)
            throw new SafeTensorsFormatException(file, Checkpoint.HiddenStateName,
                $"holds {checkpoint.H0.Length} values, the data's batch shape needs {h0Length} (resume with the same batch size).");
        if (parallel is null)
        {
            checkpoint.H0.CopyTo(workspace.H0, 0);
            checkpoint.C0.CopyTo(workspace.C0, 0);
        }
        else
        {
            parallel.ScatterRows(checkpoint.H0, workspace.H0, StateBlocks, globalMaxB);
            parallel.ScatterRows(checkpoint.C0, workspace.C0, StateBlocks, globalMaxB);
        }
        step = state.Step;
        bestValidation = state.BestValidationLoss;
        bestStep = state.BestStep;
        badEvaluations = state.BadEvaluations;
        pendingLossSum = state.PendingLossSum;
        pendingLossCount = state.PendingLossCount;
        lastValidation = state.LastValidationLoss;
        tokens = state.Tokens;
        elapsedBefore = state.ElapsedSeconds;
        history.Clear();
        history.AddRange(state.History);
        lastCheckpointStep = step;
    }

    /// <summary>The state that, with the weights and optimizer arrays, lets a run continue exactly.</summary>
    public TrainingState CaptureState(double elapsedSeconds) => new()
    {
        Step = step,
        OptimizerSteps = Optimizer.StepCount,
        Rng = Rng.State.Select(w => w.ToString("x16", CultureInfo.InvariantCulture)).ToArray(),
        DataPosition = data.Position,
        BestValidationLoss = bestValidation,
        BestStep = bestStep,
        BadEvaluations = badEvaluations,
        PendingLossSum = pendingLossSum,
        PendingLossCount = pendingLossCount,
        LastValidationLoss = lastValidation,
        ElapsedSeconds = elapsedSeconds,
        Tokens = tokens,
        Options = Options,
        History = [.. history],
    };

    /// <summary>Writes a checkpoint of the current state atomically (under MPI: every rank calls it, rank 0 writes).</summary>
    public void SaveCheckpoint(string path) => SaveCheckpoint(path, elapsedBefore);

    private void SaveCheckpoint(string path, double elapsedSeconds)
    {
        if (parallel is null)
        {
            Checkpoint.Save(path, Model, Optimizer.State, CaptureState(elapsedSeconds), workspace.H0, workspace.C0);
        }
        else
        {
            var h0 = parallel.GatherRows(workspace.H0, StateBlocks, globalMaxB, workspace.H0.Length / data.MaxB * globalMaxB);
            var c0 = parallel.GatherRows(workspace.C0, StateBlocks, globalMaxB, workspace.C0.Length / data.MaxB * globalMaxB);
            if (parallel.IsRoot)
                Checkpoint.Save(path, Model, Optimizer.State, CaptureState(elapsedSeconds), h0, c0);
        }
        lastCheckpointStep = step;
    }

    // A run bounded by time rather than steps has an astronomically large MaxSteps: cap the estimate.
    private const double MaxRemainingSeconds = 1e9;

    /// <summary>
    /// Runs until <see cref="TrainerOptions.MaxSteps"/>, early stopping, divergence or cancellation. Under MPI every rank
    /// must call it with a token that is cancellable on all ranks or on none; the run stops when any rank's is cancelled.
    /// </summary>
    public TrainingResult Run(CancellationToken cancellationToken = default)
    {
        var clock = Stopwatch.StartNew();
        long startStep = step;
        long startTokens = tokens;
        double lastLoss = double.NaN;
        string? checkpointPath = Options.CheckpointPath;
        double Elapsed() => elapsedBefore + clock.Elapsed.TotalSeconds;

        while (step < Options.MaxSteps)
        {
            // Under MPI every rank stops at the same step: a cancellable token costs one tiny allreduce per step.
            bool cancelled = cancellationToken.IsCancellationRequested;
            if (parallel is not null && cancellationToken.CanBeCanceled ? parallel.Any(cancelled) : cancelled)
                return Finish(StopReason.Cancelled, $"cancelled after step {step}.", lastLoss, Elapsed());

            double rate = schedule.At(step);
            Optimizer.LearningRate = rate;
            double loss = ForwardBackward();
            if (!double.IsFinite(loss))
                return Diverged($"training loss is {loss}", lastLoss);
            if (Options.ClipValue > 0)
                GradientClipping.ClipByValue(Model.Parameters, Options.ClipValue);
            double norm = Options.ClipNorm > 0
                ? GradientClipping.ClipByGlobalNorm(Model.Parameters, Options.ClipNorm)
                : GradientClipping.GlobalNorm(Model.Parameters.Grad);
            if (!double.IsFinite(norm))
                return Diverged($"gradient norm is {norm}", lastLoss);
            Optimizer.Step();
            workspace.CarryState();
            step++;
            lastLoss = loss;
            pendingLossSum += loss;
            pendingLossCount++;

            double? validation = null;
            if (Options.EvalEvery > 0 && step % Options.EvalEvery == 0)
            {
                validation = Evaluate();
                if (!double.IsFinite(validation.Value))
                    return Diverged($"validation loss is {validation.Value}", lastLoss);
                lastValidation = validation;
                if (bestValidation is null || validation.Value < bestValidation.Value)
                {
                    bestValidation = validation;
                    bestStep = step;
                    badEvaluations = 0;
                    if (Options.BestModelPath is not null && parallel is not { IsRoot: false })
                        ModelFile.Save(Model, Options.BestModelPath);
                }
                else
                {
                    badEvaluations++;
                }
            }
            if (step % Options.HistoryEvery == 0)
            {
                history.Add(new HistoryEntry(step, pendingLossSum / pendingLossCount, lastValidation, rate));
                pendingLossSum = 0;
                pendingLossCount = 0;
            }
            bool stopEarly = Options.Patience > 0 && badEvaluations >= Options.Patience;
            if (checkpointPath is not null && Options.CheckpointEvery > 0 && step % Options.CheckpointEvery == 0)
                SaveCheckpoint(checkpointPath, Elapsed());

            if (Progress is not null)
            {
                double seconds = clock.Elapsed.TotalSeconds;
                long done = step - startStep;
                double perStep = done > 0 ? seconds / done : 0;
                Progress(new TrainingProgress(step, Options.MaxSteps, loss, validation, rate, norm,
                    seconds > 0 ? (tokens - startTokens) / seconds : 0, TimeSpan.FromSeconds(Elapsed()),
                    TimeSpan.FromSeconds(Math.Min(perStep * (Options.MaxSteps - step), MaxRemainingSeconds))));
            }
            if (stopEarly)
                return Finish(StopReason.EarlyStopped,
                    $"early stop at step {step}: no better validation loss for {Options.Patience} validations (best {bestValidation:G6} at step {bestStep}).",
                    lastLoss, Elapsed());
        }
        return Finish(StopReason.Completed, $"completed {step} steps.", lastLoss, Elapsed());
    }

    private TrainingResult Finish(StopReason reason, string message, double lastLoss, double elapsed)
    {
        elapsedBefore = elapsed;
        if (Options.CheckpointPath is not null && lastCheckpointStep != step)
            SaveCheckpoint(Options.CheckpointPath, elapsed);
        return new TrainingResult(reason, step, lastLoss, bestValidation, bestStep, message);
    }

    private TrainingResult Diverged(string what, double lastLoss)
    {
        string kept = Options.CheckpointPath is null
            ? "no checkpoint was configured"
            : lastCheckpointStep >= 0
                ? $"the last good checkpoint {Options.CheckpointPath} (step {lastCheckpointStep}) is kept"
                : "no checkpoint had been written yet";
        string message = $"step {step + 1}: {what}; training stopped before applying this update ({kept}).";
        return new TrainingResult(StopReason.Diverged, step, lastLoss, bestValidation, bestStep, message);
    }

    /// <summary>One training batch: forward, loss and backward into zeroed gradients. Returns the loss.</summary>
    private double ForwardBackward()
    {
        data.NextTrain(batch);
        if (!batch.ContinuesState)
            workspace.ResetState();
        if (parallel is not null)
            return ForwardBackwardShard();
        var output = Forward(workspace, batch, batch.ContinuesState, training: true);
        var dOut = dOutput.AsSpan(0, output.Length);
        double loss = ComputeLoss(output, batch, dOut, out _);
        tokens += CountSteps(batch);
        if (!double.IsFinite(loss))
            return loss;
        Model.Parameters.ZeroGrad();
        Model.Backward(workspace, dOut);
        return loss;
    }

    /// <summary>This rank's rows (possibly none), then one allreduce: the whole batch's gradient and loss on every rank.</summary>
    private double ForwardBackwardShard()
    {
        double loss = 0;
        long count = 0;
        long stepTokens = CountSteps(batch);
        Model.Parameters.ZeroGrad();
        if (batch.B > 0)
        {
            var output = Forward(workspace, batch, batch.ContinuesState, training: true);
            var dOut = dOutput.AsSpan(0, output.Length);
            loss = ComputeLoss(output, batch, dOut, out count);
            if (double.IsFinite(loss))
                Model.Backward(workspace, dOut);
        }
        loss = parallel!.ReduceStep(Model.Parameters.Grad, loss, count, ref stepTokens);
        tokens += stepTokens;
        return loss;
    }

    /// <summary>
    /// Mean validation loss over every validation batch (lm: per token; classify: per sequence; forecast: per element).
    /// Under MPI every rank calls it and evaluates its rows; the sums are added over the ranks.
    /// </summary>
    public double Evaluate()
    {
        if (data.ValidationBatchCount == 0)
            throw new InvalidOperationException("The data has no validation batches.");
        evalWorkspace ??= Model.CreateWorkspace(data.MaxT, data.MaxB);
        evalBatch ??= new TrainingBatch(data.MaxT, data.MaxB, data.InputSize, data.TargetSize);
        evalWorkspace.ResetState();
        double sum = 0;
        long count = 0;
        for (int i = 0; i < data.ValidationBatchCount; i++)
        {
            data.GetValidation(i, evalBatch);
            if (!evalBatch.ContinuesState)
                evalWorkspace.ResetState();
            if (evalBatch.B == 0)
                continue;
            var output = Forward(evalWorkspace, evalBatch, evalBatch.ContinuesState, training: false);
            double loss = ComputeLoss(output, evalBatch, default, out long n);
            sum += loss * n;
            count += n;
            evalWorkspace.CarryState();
        }
        if (parallel is not null)
        {
            Span<double> totals = [sum, count];
            parallel.Sum(totals);
            (sum, count) = (totals[0], (long)totals[1]);
        }
        return sum / count;
    }

    private Span<float> Forward(SequenceWorkspace ws, TrainingBatch b, bool useState, bool training)
    {
        int T = b.T, B = b.B;
        ReadOnlySpan<int> lengths = b.HasLengths ? b.Lengths.AsSpan(0, B) : default;
        return Model.Config.UsesEmbedding
            ? Model.ForwardTokens(ws, b.Tokens.AsSpan(0, T * B), T, B, lengths, useState, training, Rng)
            : Model.ForwardFeatures(ws, b.Features.AsSpan(0, T * B * Model.InputWidth), T, B, lengths, useState, training, Rng);
    }

    private double ComputeLoss(ReadOnlySpan<float> output, TrainingBatch b, Span<float> dOut, out long count)
    {
        var config = Model.Config;
        int B = b.B;
        switch (config.Task)
        {
            case "lm":
            {
                var loss = Losses.CrossEntropy(output, b.TokenTargets.AsSpan(0, b.T * B), config.OutputSize, dOut);
                count = loss.Count;
                return loss.Mean;
            }
            case "classify":
            {
                var loss = Losses.CrossEntropy(output, b.Labels.AsSpan(0, B), config.OutputSize, dOut);
                count = loss.Count;
                return loss.Mean;
            }
            default:
            {
                var target = b.Targets.AsSpan(0, B * config.OutputSize);
                count = target.Length;
                return Options.RegressionLoss switch
                {
                    "mae" => Losses.Mae(output, target, dOut),
                    "huber" => Losses.Huber(output, target, dOut, Options.HuberDelta),
                    _ => Losses.Mse(output, target, dOut),
                };
            }
        }
    }

    private static long CountSteps(TrainingBatch b)
    {
        if (!b.HasLengths)
            return (long)b.T * b.B;
        long sum = 0;
        for (int i = 0; i < b.B; i++)
            sum += b.Lengths[i];
        return sum;
    }
}
