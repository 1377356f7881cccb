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
/// the loss (lm, classify_steps: per-step cross-entropy with padding ignored; classify: cross-entropy, weighted per class when
/// asked; forecast: MSE/MAE/Huber; forecast_steps: the same over the steps inside each sequence's length), backward,
/// clipping (by value, then by global norm), one optimizer update, and the final state carried to the next batch.
/// Validation every <see cref="TrainerOptions.EvalEvery"/> steps with early stopping; a NaN/Inf loss or gradient stops the
/// run before the update and keeps the last checkpoint. One <see cref="Rng"/> seeded from <see cref="TrainerOptions.Seed"/>
/// drives initialisation and dropout, and its state goes into checkpoints, so that a resumed run ends bit-identical to an
/// uninterrupted one. With <see cref="TrainerOptions.RestoreBestWeights"/> the weights of the best validation loss are kept
/// (in checkpoints too) and put back into the model when the run completes or stops early. Under an MPI launcher (mpirun,
/// srun) the run is data-parallel: each rank takes its rows of every batch and the gradients are summed over the ranks
/// before the update (see docs/DISTRIBUTED.md); rank 0 alone writes files.
/// </summary>
internal sealed class Trainer
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
    private readonly float[] bestWeights;       // [parameter count] when RestoreBestWeights, else empty
    private readonly float[] stepPrediction;    // forecast_steps: the valid rows of the output, compacted
    private readonly float[] stepTarget;        // forecast_steps: their targets
    private readonly float[] stepGradient;      // forecast_steps: the loss gradient of the compacted rows
    private readonly DataParallel? parallel;    // under an MPI launcher
    private readonly int globalMaxB;            // batch rows over all ranks
    private ITrainingEngine? engine;            // a device computing the steps, when one is used
    private bool hostBehind;                    // the engine has stepped since the host model was last pulled

    /// <summary>Consecutive loss checks (history entries and validations) above <see cref="DivergenceLoss"/>.</summary>
    private int checksAboveUniform;

    /// <summary>Checks in a row above <see cref="DivergenceLoss"/> that stop the run as diverged.</summary>
    internal const int DivergenceChecks = 3;

    /// <summary>
    /// For cross-entropy tasks (lm, classify): twice the loss of a uniform guess, 2·ln(classes). A freshly initialised
    /// model starts near ln(classes); a loss above twice that, check after check, is a run that has diverged.
    /// Null for regression (forecast), whose loss has no such yardstick.
    /// </summary>
    private double? DivergenceLoss => Model.Config.TaskKind is Models.TaskKind.Lm or Models.TaskKind.Classify or Models.TaskKind.ClassifySteps && Model.Config.OutputSize > 1
        ? 2 * Math.Log(Model.Config.OutputSize)
        : null;

    /// <summary>Counts a loss check; true once <see cref="DivergenceChecks"/> checks in a row were above <see cref="DivergenceLoss"/>.</summary>
    private bool AboveUniformTooLong(double loss)
    {
        if (DivergenceLoss is not double limit)
            return false;
        checksAboveUniform = loss > limit ? checksAboveUniform + 1 : 0;
        return checksAboveUniform >= DivergenceChecks;
    }

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
        if (config.IsRegression && data.TargetSize != config.OutputSize)
            throw new ArgumentException($"The data has {data.TargetSize} targets per example, the model predicts {config.OutputSize}.", nameof(data));
        if (!config.IsRegression && data.TargetSize != 0)
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
        if (options.ClassWeights is { } classWeights && (config.TaskKind != TaskKind.Classify || classWeights.Length != config.OutputSize
                || classWeights.Any(w => !(float.IsFinite(w) && w > 0))))
            throw new ArgumentException($"Class weights need task classify and {config.OutputSize} positive finite values.", nameof(options));
        if (options.RegressionLoss is not ("mse" or "mae" or "huber"))
            throw new ArgumentException($"Unknown regression loss '{options.RegressionLoss}' (mse, mae, huber).", nameof(options));

        globalMaxB = data.MaxB;
        parallel = DataParallel.Current;
        if (parallel is not null)
        {
            if (parallel.Size > 1 && config.Dropout > 0)
                throw new ArgumentException("Dropout is not supported in data-parallel training: its masks are drawn over the whole batch from one generator.", nameof(model));
            data = ShardedTrainingData.Shard(data, parallel);
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
        bool stepTargets = config.TaskKind == Models.TaskKind.ForecastSteps;
        batch = new TrainingBatch(data.MaxT, data.MaxB, data.InputSize, data.TargetSize, stepTargets);
        dOutput = new float[workspace.Output.Length];
        bestWeights = options.RestoreBestWeights ? new float[model.Parameters.Count] : [];
        stepPrediction = stepTargets ? new float[workspace.Output.Length] : [];
        stepTarget = stepTargets ? new float[workspace.Output.Length] : [];
        stepGradient = stepTargets ? new float[workspace.Output.Length] : [];
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

    /// <summary>
    /// Computes the training steps on <paramref name="device"/> (see <see cref="ITrainingEngine"/>): the weights, optimizer
    /// state and carried state are pushed to it now, and pulled back before validation, checkpoints and the end of a run.
    /// Call it before <see cref="Run"/>, after a resume. The caller disposes the engine. Not under MPI.
    /// </summary>
    public void UseEngine(ITrainingEngine device)
    {
        ArgumentNullException.ThrowIfNull(device);
        if (parallel is not null)
            throw new NotSupportedException("A device trainer cannot be combined with data-parallel (MPI) training.");
        engine = device;
        engine.Push(Model.Parameters, Optimizer, workspace.H0, workspace.C0);
        hostBehind = false;
    }

    /// <summary>Brings the host model, optimizer state and carried state up to date with the engine's.</summary>
    private void PullFromEngine()
    {
        if (engine is null || !hostBehind)
            return;
        engine.Pull(Model.Parameters, Optimizer, workspace.H0, workspace.C0);
        Model.Parameters.MarkChanged();
        hostBehind = false;
    }

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

    /// <summary>
    /// <see cref="Resume(string, ITrainingData, TrainerOptions?)"/> into an existing <paramref name="model"/>, whose config must
    /// equal the checkpoint's: the checkpoint's weights are copied into it and the run continues on it.
    /// </summary>
    public static Trainer Resume(string checkpointPath, SequenceModel model, ITrainingData data, TrainerOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        var checkpoint = Checkpoint.Load(checkpointPath);
        if (checkpoint.Model.Config.ToJson() != model.Config.ToJson())
            throw new ArgumentException($"The checkpoint {checkpointPath} holds another model ({checkpoint.Model.Config.ToJson()}).", nameof(model));
        checkpoint.Model.Parameters.Data.AsSpan().CopyTo(model.Parameters.Data);
        model.Parameters.MarkChanged();
        var trainer = new Trainer(model, data, (options ?? checkpoint.State.Options) with { InitializeParameters = false });
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
        if (bestWeights.Length > 0 && bestValidation is not null)
        {
            if (checkpoint.BestWeights.Length != bestWeights.Length)
                throw new SafeTensorsFormatException(file, Checkpoint.BestWeightsName,
                    $"holds {checkpoint.BestWeights.Length} values, the model has {bestWeights.Length} parameters (was it written without restore-best?).");
            checkpoint.BestWeights.CopyTo(bestWeights, 0);
        }
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
        PullFromEngine();
        var best = bestValidation is null ? default : bestWeights;
        if (parallel is null)
        {
            Checkpoint.Save(path, Model, Optimizer.State, CaptureState(elapsedSeconds), workspace.H0, workspace.C0, best);
        }
        else
        {
            var h0 = parallel.GatherRows(workspace.H0, StateBlocks, globalMaxB, workspace.H0.Length / data.MaxB * globalMaxB);
            var c0 = parallel.GatherRows(workspace.C0, StateBlocks, globalMaxB, workspace.C0.Length / data.MaxB * globalMaxB);
            if (parallel.IsRoot)
                Checkpoint.Save(path, Model, Optimizer.State, CaptureState(elapsedSeconds), h0, c0, best);
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
            double norm = ClipGradients();
            if (!double.IsFinite(norm))
                return Diverged($"gradient norm is {norm}", lastLoss);
            if (engine is null)
            {
                Optimizer.Step();
                workspace.CarryState();
            }
            else
            {
                engine.Step(Optimizer);
                engine.CarryState();
                hostBehind = true;
            }
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
                if (AboveUniformTooLong(validation.Value))
                    return Diverged($"validation loss {validation.Value:G4} has stayed above {DivergenceLoss:G4} (twice a uniform guess over {Model.Config.OutputSize} classes) for {DivergenceChecks} checks", lastLoss);
                lastValidation = validation;
                if (bestValidation is null || validation.Value < bestValidation.Value)
                {
                    bestValidation = validation;
                    bestStep = step;
                    badEvaluations = 0;
                    Model.Parameters.Data.AsSpan(0, bestWeights.Length).CopyTo(bestWeights);
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
                double meanLoss = pendingLossSum / pendingLossCount;
                history.Add(new HistoryEntry(step, meanLoss, lastValidation, rate));
                if (AboveUniformTooLong(meanLoss))
                    return Diverged($"training loss {meanLoss:G4} has stayed above {DivergenceLoss:G4} (twice a uniform guess over {Model.Config.OutputSize} classes) for {DivergenceChecks} checks", lastLoss);
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

    /// <summary>Clipping by value, then by global norm, on the host or the engine; returns the global norm before the norm clipping.</summary>
    private double ClipGradients()
    {
        if (engine is not null)
            return engine.ClipGradients(Options.ClipValue, Options.ClipNorm);
        if (Options.ClipValue > 0)
            GradientClipping.ClipByValue(Model.Parameters, Options.ClipValue);
        return Options.ClipNorm > 0
            ? GradientClipping.ClipByGlobalNorm(Model.Parameters, Options.ClipNorm)
            : GradientClipping.GlobalNorm(Model.Parameters.Grad);
    }

    private TrainingResult Finish(StopReason reason, string message, double lastLoss, double elapsed)
    {
        elapsedBefore = elapsed;
        PullFromEngine();
        if (Options.CheckpointPath is not null && lastCheckpointStep != step)
            SaveCheckpoint(Options.CheckpointPath, elapsed);
        if (bestWeights.Length > 0 && bestValidation is not null && reason is StopReason.Completed or StopReason.EarlyStopped)
        {
            bestWeights.CopyTo(Model.Parameters.Data, 0);
            Model.Parameters.MarkChanged();
            engine?.Push(Model.Parameters, Optimizer, workspace.H0, workspace.C0);
            message += $" Restored the weights of step {bestStep} (validation loss {bestValidation:G6}).";
        }
        return new TrainingResult(reason, step, lastLoss, bestValidation, bestStep, message);
    }

    private TrainingResult Diverged(string what, double lastLoss)
    {
        PullFromEngine();
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
        if (engine is not null)
        {
            if (!batch.ContinuesState)
                engine.ResetState();
            tokens += CountSteps(batch);
            return engine.ForwardBackward(batch);
        }
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
        PullFromEngine();
        evalWorkspace ??= Model.CreateWorkspace(data.MaxT, data.MaxB);
        evalBatch ??= new TrainingBatch(data.MaxT, data.MaxB, data.InputSize, data.TargetSize, stepPrediction.Length > 0);
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
        switch (config.TaskKind)
        {
            case Models.TaskKind.Lm or Models.TaskKind.ClassifySteps:
            {
                var loss = Losses.CrossEntropy(output, b.TokenTargets.AsSpan(0, b.T * B), config.OutputSize, dOut);
                count = loss.Count;
                return loss.Mean;
            }
            case Models.TaskKind.Classify:
            {
                var loss = Options.ClassWeights is { } weights
                    ? Losses.WeightedCrossEntropy(output, b.Labels.AsSpan(0, B), config.OutputSize, weights, dOut)
                    : Losses.CrossEntropy(output, b.Labels.AsSpan(0, B), config.OutputSize, dOut);
                count = loss.Count;
                return loss.Mean;
            }
            case Models.TaskKind.ForecastSteps:
                return StepRegressionLoss(output, b, dOut, out count);
            default:
            {
                var target = b.Targets.AsSpan(0, B * config.OutputSize);
                count = target.Length;
                return RegressionLoss(output, target, dOut);
            }
        }
    }

    private double RegressionLoss(ReadOnlySpan<float> prediction, ReadOnlySpan<float> target, Span<float> dPrediction) =>
        Options.RegressionLoss switch
        {
            "mae" => Losses.Mae(prediction, target, dPrediction),
            "huber" => Losses.Huber(prediction, target, dPrediction, Options.HuberDelta),
            _ => Losses.Mse(prediction, target, dPrediction),
        };

    /// <summary>
    /// forecast_steps: the regression loss over the rows (t, b) with t &lt; length_b of output [T, B, O], as if those rows
    /// alone were the batch (mean over their n·O values); rows past a sequence's end get a zero gradient.
    /// </summary>
    private double StepRegressionLoss(ReadOnlySpan<float> output, TrainingBatch b, Span<float> dOut, out long count)
    {
        int T = b.T, B = b.B, O = Model.Config.OutputSize;
        int n = 0;
        for (int t = 0; t < T; t++)
        {
            for (int i = 0; i < B; i++)
            {
                if (b.HasLengths && t >= b.Lengths[i])
                    continue;
                int row = t * B + i;
                output.Slice(row * O, O).CopyTo(stepPrediction.AsSpan(n * O, O));
                b.StepTargets.AsSpan(row * O, O).CopyTo(stepTarget.AsSpan(n * O, O));
                n++;
            }
        }
        count = (long)n * O;
        bool grad = !dOut.IsEmpty;
        var dCompact = grad ? stepGradient.AsSpan(0, n * O) : default;
        double loss = RegressionLoss(stepPrediction.AsSpan(0, n * O), stepTarget.AsSpan(0, n * O), dCompact);
        if (!grad)
            return loss;
        dOut.Clear();
        n = 0;
        for (int t = 0; t < T; t++)
        {
            for (int i = 0; i < B; i++)
            {
                if (b.HasLengths && t >= b.Lengths[i])
                    continue;
                dCompact.Slice(n * O, O).CopyTo(dOut.Slice((t * B + i) * O, O));
                n++;
            }
        }
        return loss;
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
