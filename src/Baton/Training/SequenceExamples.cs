using Baton.Numerics;

namespace Baton.Training;

/// <summary>
/// Batches of independent variable-length examples (classify, forecast windows): each epoch visits the training
/// examples in a permutation drawn from <c>Rng(seed + epoch)</c> (so a position is enough to resume), B at a time,
/// padded to the longest in the batch with per-sequence lengths; validation examples in order. Position = [epoch, batch].
/// Per-step examples (every example has <see cref="SequenceExample.StepLabels"/>, or every one
/// <see cref="SequenceExample.StepTargets"/>) fill <see cref="TrainingBatch.TokenTargets"/> (padding =
/// <see cref="Losses.IgnoreIndex"/>) or <see cref="TrainingBatch.StepTargets"/> (padding = 0) instead of the per-sequence label or target.
/// </summary>
internal sealed class SequenceExamples : ITrainingData
{
    private readonly SequenceExample[] train;
    private readonly SequenceExample[] validation;
    private readonly ShuffledEpochs epochs;

    /// <summary>
    /// Checks every example (lengths, finite values, label range) and fixes the batch size. <paramref name="inputSize"/> is 0 for
    /// token examples; <paramref name="targetSize"/> is the regression width (0 for classification).
    /// </summary>
    public SequenceExamples(IReadOnlyList<SequenceExample> train, IReadOnlyList<SequenceExample>? validation,
        int inputSize, int targetSize, int batchSize, ulong seed)
    {
        ArgumentNullException.ThrowIfNull(train);
        ArgumentOutOfRangeException.ThrowIfNegative(inputSize);
        ArgumentOutOfRangeException.ThrowIfNegative(targetSize);
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1, nameof(batchSize));
        if (train.Count == 0)
            throw new ArgumentException("No training examples.", nameof(train));
        InputSize = inputSize;
        TargetSize = targetSize;
        this.train = [.. train];
        this.validation = validation is null ? [] : [.. validation];
        MaxB = batchSize;
        PerStep = this.train[0].StepLabels is not null || this.train[0].StepTargets is not null;
        int maxT = 0;
        for (int i = 0; i < this.train.Length; i++)
            maxT = Math.Max(maxT, Check(this.train[i], "training", i));
        for (int i = 0; i < this.validation.Length; i++)
            maxT = Math.Max(maxT, Check(this.validation[i], "validation", i));
        MaxT = maxT;
        epochs = new ShuffledEpochs(this.train.Length, batchSize, seed);
        ValidationBatchCount = (this.validation.Length + batchSize - 1) / batchSize;
    }

    private int Check(SequenceExample example, string set, int index)
    {
        string where = $"{set} example {index}";
        ArgumentNullException.ThrowIfNull(example, where);
        if (PerStep != (example.StepLabels is not null || example.StepTargets is not null))
            throw new ArgumentException($"{where}: {(PerStep ? "has no per-step labels or targets, unlike" : "has per-step labels or targets, unlike")} training example 0.");
        int length;
        if (InputSize == 0)
        {
            if (example.Tokens is null || example.Tokens.Length == 0)
                throw new ArgumentException($"{where}: no tokens.");
            length = example.Tokens.Length;
        }
        else
        {
            if (example.Features is null || example.Features.Length == 0 || example.Features.Length % InputSize != 0)
                throw new ArgumentException($"{where}: features must hold a positive multiple of {InputSize} values.");
            length = example.Features.Length / InputSize;
            for (int i = 0; i < example.Features.Length; i++)
            {
                if (!float.IsFinite(example.Features[i]))
                    throw new ArgumentException($"{where}: feature {i % InputSize} at step {i / InputSize} is {example.Features[i]}.");
            }
        }
        if (PerStep)
        {
            CheckSteps(example, where, length);
        }
        else if (TargetSize > 0)
        {
            if (example.Target is null || example.Target.Length != TargetSize)
                throw new ArgumentException($"{where}: target must hold {TargetSize} values.");
            for (int i = 0; i < TargetSize; i++)
            {
                if (!float.IsFinite(example.Target[i]))
                    throw new ArgumentException($"{where}: target {i} is {example.Target[i]}.");
            }
        }
        else if (example.Label < 0)
        {
            throw new ArgumentException($"{where}: label {example.Label} is negative.");
        }
        return length;
    }

    private void CheckSteps(SequenceExample example, string where, int length)
    {
        if (TargetSize > 0)
        {
            if (example.StepTargets is null || example.StepTargets.Length != length * TargetSize)
                throw new ArgumentException($"{where}: step targets must hold {length} steps × {TargetSize} values.");
            for (int i = 0; i < example.StepTargets.Length; i++)
            {
                if (!float.IsFinite(example.StepTargets[i]))
                    throw new ArgumentException($"{where}: target {i % TargetSize} at step {i / TargetSize} is {example.StepTargets[i]}.");
            }
            return;
        }
        if (example.StepLabels is null || example.StepLabels.Length != length)
            throw new ArgumentException($"{where}: step labels must hold one label for each of its {length} steps.");
        for (int t = 0; t < length; t++)
        {
            if (example.StepLabels[t] < 0)
                throw new ArgumentException($"{where}: label {example.StepLabels[t]} at step {t} is negative.");
        }
    }

    /// <summary>True when the examples carry a label or target at every step.</summary>
    public bool PerStep { get; }

    /// <inheritdoc/>
    public int MaxT { get; }

    /// <inheritdoc/>
    public int MaxB { get; }

    /// <inheritdoc/>
    public int InputSize { get; }

    /// <inheritdoc/>
    public int TargetSize { get; }

    /// <summary>⌈N / B⌉ (the last batch may be smaller).</summary>
    public int BatchesPerEpoch => epochs.BatchesPerEpoch;

    /// <inheritdoc/>
    public int ValidationBatchCount { get; }

    /// <inheritdoc/>
    public long[] Position
    {
        get => epochs.Position;
        set => epochs.Position = value;
    }

    /// <inheritdoc/>
    public void NextTrain(TrainingBatch batch)
    {
        var (first, count) = epochs.Next();
        Fill(batch, i => train[epochs[first + i]], count);
    }

    /// <inheritdoc/>
    public void GetValidation(int index, TrainingBatch batch)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, ValidationBatchCount);
        int start = index * MaxB;
        Fill(batch, i => validation[start + i], Math.Min(MaxB, validation.Length - start));
    }

    private void Fill(TrainingBatch batch, Func<int, SequenceExample> example, int B)
    {
        ArgumentNullException.ThrowIfNull(batch);
        int T = 0;
        for (int b = 0; b < B; b++)
            T = Math.Max(T, Length(example(b)));
        batch.T = T;
        batch.B = B;
        batch.HasLengths = true;
        batch.ContinuesState = false;
        int I = InputSize;
        if (I == 0)
            Array.Clear(batch.Tokens, 0, T * B);
        else
            Array.Clear(batch.Features, 0, T * B * I);
        int O = TargetSize;
        if (PerStep && O == 0)
            batch.TokenTargets.AsSpan(0, T * B).Fill(Losses.IgnoreIndex);
        else if (PerStep)
            Array.Clear(batch.StepTargets, 0, T * B * O);
        for (int b = 0; b < B; b++)
        {
            var e = example(b);
            int length = Length(e);
            batch.Lengths[b] = length;
            for (int t = 0; t < length; t++)
            {
                if (I == 0)
                    batch.Tokens[t * B + b] = e.Tokens![t];
                else
                    e.Features.AsSpan(t * I, I).CopyTo(batch.Features.AsSpan((t * B + b) * I, I));
            }
            if (PerStep)
            {
                for (int t = 0; t < length; t++)
                {
                    if (O == 0)
                        batch.TokenTargets[t * B + b] = e.StepLabels![t];
                    else
                        e.StepTargets.AsSpan(t * O, O).CopyTo(batch.StepTargets.AsSpan((t * B + b) * O, O));
                }
            }
            else if (TargetSize > 0)
            {
                e.Target.AsSpan().CopyTo(batch.Targets.AsSpan(b * TargetSize, TargetSize));
            }
            else
            {
                batch.Labels[b] = e.Label;
            }
        }
    }

    private int Length(SequenceExample e) => InputSize == 0 ? e.Tokens!.Length : e.Features!.Length / InputSize;
}
