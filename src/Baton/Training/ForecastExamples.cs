using Baton.Numerics;

namespace Baton.Training;

/// <summary>
/// The training and validation examples of a <see cref="ForecastData"/>, batched as <see cref="SequenceExamples"/> batches
/// them (the same permutation from <c>Rng(seed + epoch)</c>, the same batch layout, validation in order), but built per batch
/// from the raw rows instead of stored per origin: the example at origin t is what <see cref="ForecastData.Examples"/> gives,
/// bit for bit. What it holds besides the rows is the training order (4 bytes per training origin) and, when the scheme
/// smooths, the smoothing state every <see cref="SnapshotRows"/> rows, from which an origin is reached by replaying at most
/// that many rows. Position = [epoch, batch].
/// </summary>
internal sealed class ForecastExamples : ITrainingData
{
    /// <summary>Rows between two saved smoothing states.</summary>
    public const int SnapshotRows = 256;

    private readonly ForecastData data;
    private readonly ForecastInputs inputs;
    private readonly ForecastInputs.Snapshot[] snapshots;   // [⌈end / SnapshotRows⌉] state before row s·SnapshotRows (smoothing only)
    private readonly ForecastInputs.Snapshot start;          // the state before row 0
    private readonly int trainStart;
    private readonly int validationStart;
    private readonly int validationCount;
    private readonly ShuffledEpochs epochs;   // the training origins' order
    private readonly double[] future;  // [K, J] actual values after the origin

    /// <summary>
    /// Training origins [<paramref name="trainStart"/>, <paramref name="trainEnd"/>), validation origins
    /// [<paramref name="validationStart"/>, <paramref name="validationEnd"/>), <paramref name="batchSize"/> at a time. Every
    /// example is built once here and checked as <see cref="SequenceExamples"/> checks them (finite inputs and labels; the
    /// same <see cref="ArgumentException"/> otherwise).
    /// </summary>
    public ForecastExamples(ForecastData data, int trainStart, int trainEnd, int validationStart, int validationEnd, int batchSize, ulong seed)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1, nameof(batchSize));
        if (trainEnd <= trainStart)
            throw new ArgumentException("No training examples.", nameof(trainEnd));
        if (trainStart < data.FirstOrigin || validationStart < trainEnd - 1 && validationEnd > validationStart
            || Math.Max(trainEnd, validationEnd) + data.Horizon > data.Frame.Length)
            throw new ArgumentOutOfRangeException(nameof(trainStart),
                $"origins [{trainStart}, {trainEnd}) and [{validationStart}, {validationEnd}) must lie in order in [{data.FirstOrigin}, {data.Frame.Length - data.Horizon}).");
        this.data = data;
        this.trainStart = trainStart;
        this.validationStart = validationStart;
        validationCount = Math.Max(0, validationEnd - validationStart);
        inputs = new ForecastInputs(data.ModelConfig("lstm", 1, 1), data.Scheme);
        InputSize = inputs.InputSize;
        TargetSize = data.Horizon * data.Targets.Length;
        MaxT = inputs.Steps;
        MaxB = batchSize;
        epochs = new ShuffledEpochs(trainEnd - trainStart, batchSize, seed);
        future = new double[TargetSize];
        ValidationBatchCount = (validationCount + batchSize - 1) / batchSize;
        start = inputs.Save();
        snapshots = CheckAndSave(trainEnd, validationStart + validationCount);
    }

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

    /// <summary>Smoothing states saved: ⌈(last origin + 1) / <see cref="SnapshotRows"/>⌉ with smoothing, 0 without.</summary>
    public int Snapshots => snapshots.Length;

    /// <summary>
    /// Bytes this holds besides the rows of its <see cref="ForecastData"/>, counted: 4 per training origin (the order), the
    /// saved smoothing states (<see cref="Data.TimeSeriesHoltWinters.StateBytes"/> per target, and the rows kept for a
    /// start not yet made), and one row ring, example and label of <see cref="ForecastInputs"/>; nothing per origin besides the order.
    /// </summary>
    public long HeldBytes =>
        epochs.HeldBytes + 8L * future.Length + inputs.HeldBytes
        + snapshots.Sum(s => s.Smoothing.Sum(m => (long)(m?.StateBytes ?? 0)) + 8L * (s.Pending?.Length ?? 0));

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
        Fill(batch, b => trainStart + epochs[first + b], count);
    }

    /// <inheritdoc/>
    public void GetValidation(int index, TrainingBatch batch)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, ValidationBatchCount);
        int first = index * MaxB;
        Fill(batch, b => validationStart + first + b, Math.Min(MaxB, validationCount - first));
    }

    /// <summary>Writes the example at <paramref name="origin"/>: input [T, I] as item <paramref name="b"/> of <paramref name="x"/> [T, B, I], label [K, J].</summary>
    public void Write(int origin, Span<float> x, int b, int B, Span<float> label)
    {
        var snapshot = data.Scheme.UsesSmoothing ? snapshots[origin / SnapshotRows] : start;
        inputs.Rewind(data.Rows, snapshot, origin);
        inputs.Write(x, b, B);
        WriteLabel(origin, label);
    }

    private void WriteLabel(int origin, Span<float> label)
    {
        int C = data.Columns.Length, J = data.Targets.Length;
        var rows = data.Rows;
        for (int h = 0; h < data.Horizon; h++)
        {
            for (int j = 0; j < J; j++)
                future[h * J + j] = rows[(origin + 1 + h) * C + j];
        }
        inputs.Label(future, label);
    }

    private void Fill(TrainingBatch batch, Func<int, int> origin, int B)
    {
        ArgumentNullException.ThrowIfNull(batch);
        int T = MaxT, I = InputSize, O = TargetSize;
        batch.T = T;
        batch.B = B;
        batch.HasLengths = true;
        batch.ContinuesState = false;
        Array.Clear(batch.Features, 0, T * B * I);
        for (int b = 0; b < B; b++)
        {
            batch.Lengths[b] = T;
            Write(origin(b), batch.Features, b, B, batch.Targets.AsSpan(b * O, O));
        }
    }

    /// <summary>
    /// Appends every row once, checking each example as it is made, and saves the smoothing state every
    /// <see cref="SnapshotRows"/> rows.
    /// </summary>
    private ForecastInputs.Snapshot[] CheckAndSave(int trainEnd, int validationEnd)
    {
        int end = Math.Max(trainEnd, validationEnd);
        var saved = new List<ForecastInputs.Snapshot>();
        var x = new float[MaxT * InputSize];
        var label = new float[TargetSize];
        int C = data.Columns.Length;
        var rows = data.Rows;
        for (int r = 0; r < end; r++)
        {
            if (data.Scheme.UsesSmoothing && r % SnapshotRows == 0)
                saved.Add(inputs.Save());
            inputs.Append(rows.Slice(r * C, C));
            bool training = r >= trainStart && r < trainEnd;
            bool validation = r >= validationStart && r < validationEnd;
            if (!training && !validation)
                continue;
            inputs.Write(x, 0, 1);
            WriteLabel(r, label);
            Check(x, label, training ? $"training example {r - trainStart}" : $"validation example {r - validationStart}");
        }
        return [.. saved];
    }

    private void Check(ReadOnlySpan<float> x, ReadOnlySpan<float> label, string where)
    {
        for (int i = 0; i < x.Length; i++)
        {
            if (!float.IsFinite(x[i]))
                throw new ArgumentException($"{where}: feature {i % InputSize} at step {i / InputSize} is {x[i]}.");
        }
        for (int i = 0; i < label.Length; i++)
        {
            if (!float.IsFinite(label[i]))
                throw new ArgumentException($"{where}: target {i} is {label[i]}.");
        }
    }
}
