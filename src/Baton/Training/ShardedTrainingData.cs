using Baton.Distributed;

namespace Baton.Training;

/// <summary>
/// One rank's view of an <see cref="ITrainingData"/>: every rank reads the same global batch (the data is
/// deterministic) and keeps its rows [⌊r·B/N⌋, ⌊(r+1)·B/N⌋), with the global batch's T, lengths and
/// continuation flag. The position is the underlying data's, so checkpoints are the same as without MPI.
/// </summary>
internal sealed class ShardedTrainingData : ITrainingData
{
    private readonly ITrainingData inner;
    private readonly DataParallel parallel;
    private readonly TrainingBatch whole;

    public ShardedTrainingData(ITrainingData inner, DataParallel parallel)
    {
        this.inner = inner;
        this.parallel = parallel;
        whole = new TrainingBatch(inner.MaxT, inner.MaxB, inner.InputSize, inner.TargetSize);
        MaxB = (inner.MaxB + parallel.Size - 1) / parallel.Size;
    }

    /// <summary>The unsharded data's largest batch.</summary>
    public int GlobalMaxB => inner.MaxB;

    public int MaxT => inner.MaxT;

    /// <summary>⌈B/N⌉: the most rows any rank takes of any batch.</summary>
    public int MaxB { get; }

    public int InputSize => inner.InputSize;

    public int TargetSize => inner.TargetSize;

    public long[] Position
    {
        get => inner.Position;
        set => inner.Position = value;
    }

    public int ValidationBatchCount => inner.ValidationBatchCount;

    public void NextTrain(TrainingBatch batch)
    {
        inner.NextTrain(whole);
        TakeRows(batch);
    }

    public void GetValidation(int index, TrainingBatch batch)
    {
        inner.GetValidation(index, whole);
        TakeRows(batch);
    }

    private void TakeRows(TrainingBatch batch)
    {
        int T = whole.T, B = whole.B;
        var (start, count) = parallel.Rows(B);
        batch.T = T;
        batch.B = count;
        batch.HasLengths = whole.HasLengths;
        batch.ContinuesState = whole.ContinuesState;
        int I = inner.InputSize, O = inner.TargetSize;
        for (int t = 0; t < T; t++)
        {
            if (I == 0)
                whole.Tokens.AsSpan(t * B + start, count).CopyTo(batch.Tokens.AsSpan(t * count, count));
            else
                whole.Features.AsSpan((t * B + start) * I, count * I).CopyTo(batch.Features.AsSpan(t * count * I, count * I));
            whole.TokenTargets.AsSpan(t * B + start, count).CopyTo(batch.TokenTargets.AsSpan(t * count, count));
        }
        whole.Labels.AsSpan(start, count).CopyTo(batch.Labels);
        whole.Lengths.AsSpan(start, count).CopyTo(batch.Lengths);
        if (O > 0)
            whole.Targets.AsSpan(start * O, count * O).CopyTo(batch.Targets);
    }

    /// <summary>The view of <paramref name="data"/> that yields the calling rank's rows of every batch.</summary>
    public static ITrainingData Shard(ITrainingData data, DataParallel parallel)
    {
        ArgumentNullException.ThrowIfNull(data);
        if (data.MaxB < parallel.Size)
            throw new ArgumentException(
                $"A batch of {data.MaxB} sequences cannot be shared by {parallel.Size} ranks: every rank needs at least one (raise the batch size or use fewer ranks).",
                nameof(data));
        return new ShardedTrainingData(data, parallel);
    }
}
