using Baton.Training;

namespace Baton;

/// <summary>
/// Sequences and what a model should learn from them, in the shapes callers hold: each sequence is its own array, batch-first,
/// of any length — <c>float[][]</c> (steps × features) or <c>float[,]</c> [steps, features] for feature input, <c>int[]</c>
/// for token ids. <see cref="RecurrentModel.Fit"/> pads, packs (every sequence runs exactly its own length), batches and
/// shuffles them. Arrays are copied on creation: changing them afterwards does not change the dataset.
/// </summary>
public sealed class SequenceDataset
{
    internal enum Answer { Labels, Targets, StepLabels, StepTargets }

    private SequenceDataset(SequenceExample[] examples, int inputSize, Answer answer, int outputSize)
    {
        Examples = examples;
        InputSize = inputSize;
        Kind = answer;
        OutputSize = outputSize;
    }

    internal SequenceExample[] Examples { get; }

    internal Answer Kind { get; }

    /// <summary>Number of sequences.</summary>
    public int Count => Examples.Length;

    /// <summary>Features per step, or 0 for token sequences.</summary>
    public int InputSize { get; }

    /// <summary>True when the sequences are token ids.</summary>
    public bool HasTokens => InputSize == 0;

    /// <summary>Label datasets: 1 + the largest label. Regression datasets: values per sequence (or per step).</summary>
    public int OutputSize { get; }

    /// <summary>
    /// The name of each label of a classification dataset read from a file (<see cref="FromCsv"/>, <see cref="FromAudio"/>):
    /// label c is <c>ClassNames[c]</c>, the distinct labels sorted (numerically when all are numbers). Empty otherwise.
    /// </summary>
    public IReadOnlyList<string> ClassNames { get; private init; } = [];

    /// <summary>The task whose data this is (token per-step labels serve <see cref="ModelTask.LanguageModel"/> too).</summary>
    public ModelTask Task => Kind switch
    {
        Answer.Labels => ModelTask.Classification,
        Answer.Targets => ModelTask.Regression,
        Answer.StepLabels => ModelTask.StepClassification,
        _ => ModelTask.StepRegression,
    };

    /// <summary>Feature sequences with one label each (<see cref="ModelTask.Classification"/>).</summary>
    public static SequenceDataset ForClassification(IReadOnlyList<float[][]> sequences, IReadOnlyList<int> labels) =>
        Build(Features(sequences, nameof(sequences)), labels, nameof(labels));

    /// <inheritdoc cref="ForClassification(IReadOnlyList{float[][]}, IReadOnlyList{int})"/>
    public static SequenceDataset ForClassification(IReadOnlyList<float[,]> sequences, IReadOnlyList<int> labels) =>
        Build(Features(sequences, nameof(sequences)), labels, nameof(labels));

    /// <summary>Token sequences with one label each (<see cref="ModelTask.Classification"/> of text).</summary>
    public static SequenceDataset ForClassification(IReadOnlyList<int[]> sequences, IReadOnlyList<int> labels) =>
        Build(Tokens(sequences, nameof(sequences)), labels, nameof(labels));

    /// <summary>Feature sequences with one vector of target values each (<see cref="ModelTask.Regression"/>); every target the same length.</summary>
    public static SequenceDataset ForRegression(IReadOnlyList<float[][]> sequences, IReadOnlyList<float[]> targets) =>
        Build(Features(sequences, nameof(sequences)), targets, nameof(targets));

    /// <inheritdoc cref="ForRegression(IReadOnlyList{float[][]}, IReadOnlyList{float[]})"/>
    public static SequenceDataset ForRegression(IReadOnlyList<float[,]> sequences, IReadOnlyList<float[]> targets) =>
        Build(Features(sequences, nameof(sequences)), targets, nameof(targets));

    /// <summary>Feature sequences with a label at every step (<see cref="ModelTask.StepClassification"/>): labels[i] as long as sequence i.</summary>
    public static SequenceDataset ForStepClassification(IReadOnlyList<float[][]> sequences, IReadOnlyList<int[]> labels) =>
        BuildSteps(Features(sequences, nameof(sequences)), labels, nameof(labels));

    /// <summary>Token sequences with a label at every step (tagging text).</summary>
    public static SequenceDataset ForStepClassification(IReadOnlyList<int[]> sequences, IReadOnlyList<int[]> labels) =>
        BuildSteps(Tokens(sequences, nameof(sequences)), labels, nameof(labels));

    /// <summary>
    /// Feature sequences with a vector of target values at every step (<see cref="ModelTask.StepRegression"/>): targets[i] is
    /// [steps][values], as long as sequence i.
    /// </summary>
    public static SequenceDataset ForStepRegression(IReadOnlyList<float[][]> sequences, IReadOnlyList<float[][]> targets)
    {
        var inputs = Features(sequences, nameof(sequences));
        ArgumentNullException.ThrowIfNull(targets);
        CheckCount(inputs.Examples.Length, targets.Count, nameof(targets));
        int width = -1;
        var examples = new SequenceExample[targets.Count];
        for (int i = 0; i < examples.Length; i++)
        {
            var rows = targets[i] ?? throw new ArgumentNullException(nameof(targets), $"targets[{i}] is null.");
            if (rows.Length != inputs.Lengths[i])
                throw new ArgumentException($"targets[{i}] has {rows.Length} steps, sequence {i} has {inputs.Lengths[i]}.", nameof(targets));
            var flat = Flatten(rows, ref width, $"targets[{i}]", nameof(targets));
            examples[i] = inputs.Examples[i] with { StepTargets = flat };
        }
        return new SequenceDataset(examples, inputs.Width, Answer.StepTargets, width);
    }

    /// <summary>
    /// A language-model dataset from one token stream: sequence i reads tokens[i·L .. i·L + L) and learns, at each step, the
    /// token that follows (tokens[i·L + 1 .. i·L + L + 1)), L = <paramref name="sequenceLength"/>; the last sequence may be shorter.
    /// </summary>
    public static SequenceDataset ForLanguageModel(IReadOnlyList<int> tokens, int sequenceLength)
    {
        ArgumentNullException.ThrowIfNull(tokens);
        ArgumentOutOfRangeException.ThrowIfLessThan(sequenceLength, 1, nameof(sequenceLength));
        if (tokens.Count < 2)
            throw new ArgumentException($"needs at least 2 tokens, got {tokens.Count}.", nameof(tokens));
        var examples = new List<SequenceExample>();
        for (int start = 0; start < tokens.Count - 1; start += sequenceLength)
        {
            int length = Math.Min(sequenceLength, tokens.Count - 1 - start);
            var input = new int[length];
            var next = new int[length];
            for (int t = 0; t < length; t++)
            {
                input[t] = CheckToken(tokens[start + t], nameof(tokens));
                next[t] = CheckToken(tokens[start + t + 1], nameof(tokens));
            }
            examples.Add(new SequenceExample(input, null, StepLabels: next));
        }
        int max = 0;
        foreach (int token in tokens)
            max = Math.Max(max, token);
        return new SequenceDataset([.. examples], 0, Answer.StepLabels, max + 1);
    }

    /// <summary>
    /// Forecasting windows over one series: at every origin o with W values up to it and H after it, the input is
    /// series[o − W + 1 .. o] (one feature per step) and the target series[o + 1 .. o + H]. W = <paramref name="window"/>,
    /// H = <paramref name="horizon"/>; the windows are in time order.
    /// </summary>
    public static SequenceDataset ForForecasting(IReadOnlyList<float> series, int window, int horizon)
    {
        ArgumentNullException.ThrowIfNull(series);
        var rows = new float[series.Count][];
        for (int i = 0; i < rows.Length; i++)
            rows[i] = [series[i]];
        return ForForecasting(rows, window, horizon, 0);
    }

    /// <summary>
    /// Forecasting windows over a table of rows [time][features]: the input of origin o is rows[o − W + 1 .. o] (every feature),
    /// the target the values of <paramref name="targetColumns"/> (default: every column) at rows o + 1 .. o + H, step-major
    /// (target k of future step h at index h·targets + k). Windows are in time order.
    /// </summary>
    public static SequenceDataset ForForecasting(IReadOnlyList<float[]> rows, int window, int horizon, params int[] targetColumns)
    {
        ArgumentNullException.ThrowIfNull(rows);
        ArgumentNullException.ThrowIfNull(targetColumns);
        ArgumentOutOfRangeException.ThrowIfLessThan(window, 1, nameof(window));
        ArgumentOutOfRangeException.ThrowIfLessThan(horizon, 1, nameof(horizon));
        int width = -1;
        var flat = Flatten(rows.ToArray(), ref width, "rows", nameof(rows));
        int[] columns = targetColumns.Length == 0 ? [.. Enumerable.Range(0, width)] : targetColumns;
        foreach (int column in columns)
        {
            if ((uint)column >= (uint)width)
                throw new ArgumentOutOfRangeException(nameof(targetColumns), $"column {column} is outside the {width} columns of the rows.");
        }
        int origins = rows.Count - window - horizon + 1;
        if (origins < 1)
            throw new ArgumentException($"{rows.Count} rows hold no window of {window} steps followed by {horizon}.", nameof(rows));
        var examples = new SequenceExample[origins];
        for (int i = 0; i < origins; i++)
        {
            var target = new float[horizon * columns.Length];
            for (int h = 0; h < horizon; h++)
            {
                for (int k = 0; k < columns.Length; k++)
                    target[h * columns.Length + k] = flat[(i + window + h) * width + columns[k]];
            }
            examples[i] = new SequenceExample(null, flat.AsSpan(i * width, window * width).ToArray(), Target: target);
        }
        return new SequenceDataset(examples, width, Answer.Targets, horizon * columns.Length);
    }

    /// <summary>
    /// Classification sequences from a long-format CSV file (a header line, then one row per step): the rows of a sequence
    /// share the value of <paramref name="idColumn"/> (they may be interleaved with other sequences' rows), are ordered by
    /// <paramref name="timeColumn"/> (numbers or ISO dates; null = file order), and carry the same
    /// <paramref name="labelColumn"/> value. The features are <paramref name="featureColumns"/>, or every other column whose
    /// cells are all numbers. Labels become 0 .. C − 1 in the order of <see cref="ClassNames"/>.
    /// </summary>
    /// <exception cref="InvalidDataException">A missing column, a non-numeric feature, a label that changes within a sequence,
    /// a repeated time or a single class; the message names the file, line and sequence.</exception>
    public static SequenceDataset FromCsv(string path, string idColumn, string labelColumn, string? timeColumn = null,
        IReadOnlyList<string>? featureColumns = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentException.ThrowIfNullOrEmpty(idColumn);
        ArgumentException.ThrowIfNullOrEmpty(labelColumn);
        return Labelled(() =>
        {
            if (!File.Exists(path))
                throw new FileNotFoundException($"{path}: no such file.", path);
            var table = Data.CsvTable.Load(path);
            return Data.LabeledSequences.FromTable(table, idColumn, labelColumn, timeColumn, featureColumns ?? []);
        });
    }

    /// <summary>
    /// Classification sequences from recordings: every <c>*.wav</c> (PCM) under <paramref name="directory"/>, labelled by its
    /// top-level subfolder, each turned into log-mel frames by <see cref="AudioFeatures.LogMel(string)"/> (so that
    /// prediction reads files the same way). Every file must have the sample rate of the first in path order.
    /// </summary>
    /// <exception cref="InvalidDataException">No WAV files, a file outside a label folder, a file that is not PCM WAV, another
    /// sample rate, a recording shorter than one frame, or a single class.</exception>
    public static SequenceDataset FromAudio(string directory)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        return Labelled(() =>
        {
            var options = AudioFeatures.OptionsForDirectory(directory);
            return Data.AudioSequences.FromDirectory(directory, options, labelled: true);
        });
    }

    /// <summary>
    /// w_c = N / (C · n_c) over this classification dataset's N sequences and C = <see cref="OutputSize"/> classes (n_c
    /// sequences of class c; a class with none gets 1): the <see cref="FitOptions.ClassWeights"/> that make every class count
    /// as much in the loss.
    /// </summary>
    public float[] BalancedClassWeights()
    {
        if (Kind != Answer.Labels)
            throw new InvalidOperationException($"Class weights need a classification dataset; this one is for {Task}.");
        var counts = new int[OutputSize];
        foreach (var e in Examples)
            counts[e.Label]++;
        var weights = new float[OutputSize];
        for (int c = 0; c < weights.Length; c++)
            weights[c] = counts[c] == 0 ? 1f : (float)(Count / ((double)OutputSize * counts[c]));
        return weights;
    }

    private static SequenceDataset Labelled(Func<Data.LabeledSequences> read)
    {
        Data.LabeledSequences sequences;
        try
        {
            sequences = read();
        }
        catch (Data.SequenceDataException e)
        {
            throw new InvalidDataException(e.Message, e);
        }
        string[] names = Data.LabeledSequences.ClassNames(sequences.Labels!);
        if (names.Length < 2)
            throw new InvalidDataException($"every sequence has the label '{names[0]}': a classifier needs at least two classes.");
        var index = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int c = 0; c < names.Length; c++)
            index[names[c]] = c;
        var examples = new SequenceExample[sequences.Count];
        for (int i = 0; i < examples.Length; i++)
            examples[i] = new SequenceExample(null, sequences.Features[i], index[sequences.Labels![i]]);
        return new SequenceDataset(examples, sequences.InputSize, Answer.Labels, names.Length) { ClassNames = names };
    }

    /// <summary>
    /// The first ⌈(1 − f)·N⌉ sequences and the last ⌊f·N⌋, f = <paramref name="validationFraction"/> in (0, 1), in order (as
    /// Keras's <c>validation_split</c>: for time series, validation comes after training).
    /// </summary>
    public (SequenceDataset Train, SequenceDataset Validation) Split(double validationFraction)
    {
        if (!(validationFraction > 0 && validationFraction < 1))
            throw new ArgumentOutOfRangeException(nameof(validationFraction), $"must be in (0, 1), got {validationFraction}.");
        int validation = (int)Math.Floor(validationFraction * Count);
        if (validation < 1 || validation >= Count)
            throw new ArgumentException($"a fraction {validationFraction} of {Count} sequences leaves one part empty.", nameof(validationFraction));
        return (Slice(0, Count - validation), Slice(Count - validation, validation));
    }

    /// <summary>The same sequences in an order drawn from <paramref name="seed"/> (Fisher–Yates).</summary>
    public SequenceDataset Shuffle(ulong seed)
    {
        var order = Enumerable.Range(0, Count).ToArray();
        var rng = new Numerics.Rng(seed);
        for (int i = order.Length - 1; i > 0; i--)
        {
            int j = rng.NextInt(i + 1);
            (order[i], order[j]) = (order[j], order[i]);
        }
        return new SequenceDataset([.. order.Select(i => Examples[i])], InputSize, Kind, OutputSize) { ClassNames = ClassNames };
    }

    private SequenceDataset Slice(int start, int count) =>
        new(Examples.AsSpan(start, count).ToArray(), InputSize, Kind, OutputSize) { ClassNames = ClassNames };

    internal sealed record Inputs(SequenceExample[] Examples, int[] Lengths, int Width);

    internal static Inputs Features(IReadOnlyList<float[][]> sequences, string parameter)
    {
        ArgumentNullException.ThrowIfNull(sequences, parameter);
        NotEmpty(sequences.Count, parameter);
        int width = -1;
        var examples = new SequenceExample[sequences.Count];
        var lengths = new int[sequences.Count];
        for (int i = 0; i < examples.Length; i++)
        {
            var rows = sequences[i] ?? throw new ArgumentNullException(parameter, $"{parameter}[{i}] is null.");
            if (rows.Length == 0)
                throw new ArgumentException($"{parameter}[{i}] has no steps.", parameter);
            examples[i] = new SequenceExample(null, Flatten(rows, ref width, $"{parameter}[{i}]", parameter));
            lengths[i] = rows.Length;
        }
        return new Inputs(examples, lengths, width);
    }

    internal static Inputs Features(IReadOnlyList<float[,]> sequences, string parameter)
    {
        ArgumentNullException.ThrowIfNull(sequences, parameter);
        NotEmpty(sequences.Count, parameter);
        int width = -1;
        var examples = new SequenceExample[sequences.Count];
        var lengths = new int[sequences.Count];
        for (int i = 0; i < examples.Length; i++)
        {
            var matrix = sequences[i] ?? throw new ArgumentNullException(parameter, $"{parameter}[{i}] is null.");
            int steps = matrix.GetLength(0), features = matrix.GetLength(1);
            if (steps == 0 || features == 0)
                throw new ArgumentException($"{parameter}[{i}] is [{steps}, {features}]: it needs at least one step and one feature.", parameter);
            if (width >= 0 && features != width)
                throw new ArgumentException($"{parameter}[{i}] has {features} features, {parameter}[0] has {width}.", parameter);
            width = features;
            var flat = new float[steps * features];
            Buffer.BlockCopy(matrix, 0, flat, 0, flat.Length * sizeof(float));
            CheckFinite(flat, features, $"{parameter}[{i}]", parameter);
            examples[i] = new SequenceExample(null, flat);
            lengths[i] = steps;
        }
        return new Inputs(examples, lengths, width);
    }

    internal static Inputs Tokens(IReadOnlyList<int[]> sequences, string parameter)
    {
        ArgumentNullException.ThrowIfNull(sequences, parameter);
        NotEmpty(sequences.Count, parameter);
        var examples = new SequenceExample[sequences.Count];
        var lengths = new int[sequences.Count];
        for (int i = 0; i < examples.Length; i++)
        {
            var tokens = sequences[i] ?? throw new ArgumentNullException(parameter, $"{parameter}[{i}] is null.");
            if (tokens.Length == 0)
                throw new ArgumentException($"{parameter}[{i}] has no tokens.", parameter);
            foreach (int token in tokens)
                CheckToken(token, parameter);
            examples[i] = new SequenceExample((int[])tokens.Clone(), null);
            lengths[i] = tokens.Length;
        }
        return new Inputs(examples, lengths, 0);
    }

    private static SequenceDataset Build(Inputs inputs, IReadOnlyList<int> labels, string parameter)
    {
        ArgumentNullException.ThrowIfNull(labels, parameter);
        CheckCount(inputs.Examples.Length, labels.Count, parameter);
        int max = 0;
        var examples = new SequenceExample[labels.Count];
        for (int i = 0; i < examples.Length; i++)
        {
            if (labels[i] < 0)
                throw new ArgumentOutOfRangeException(parameter, $"{parameter}[{i}] = {labels[i]} is negative.");
            max = Math.Max(max, labels[i]);
            examples[i] = inputs.Examples[i] with { Label = labels[i] };
        }
        return new SequenceDataset(examples, inputs.Width, Answer.Labels, max + 1);
    }

    private static SequenceDataset Build(Inputs inputs, IReadOnlyList<float[]> targets, string parameter)
    {
        ArgumentNullException.ThrowIfNull(targets, parameter);
        CheckCount(inputs.Examples.Length, targets.Count, parameter);
        int width = -1;
        var examples = new SequenceExample[targets.Count];
        for (int i = 0; i < examples.Length; i++)
        {
            var target = targets[i] ?? throw new ArgumentNullException(parameter, $"{parameter}[{i}] is null.");
            examples[i] = inputs.Examples[i] with { Target = Flatten([target], ref width, $"{parameter}[{i}]", parameter) };
        }
        return new SequenceDataset(examples, inputs.Width, Answer.Targets, width);
    }

    private static SequenceDataset BuildSteps(Inputs inputs, IReadOnlyList<int[]> labels, string parameter)
    {
        ArgumentNullException.ThrowIfNull(labels, parameter);
        CheckCount(inputs.Examples.Length, labels.Count, parameter);
        int max = 0;
        var examples = new SequenceExample[labels.Count];
        for (int i = 0; i < examples.Length; i++)
        {
            var steps = labels[i] ?? throw new ArgumentNullException(parameter, $"{parameter}[{i}] is null.");
            if (steps.Length != inputs.Lengths[i])
                throw new ArgumentException($"{parameter}[{i}] has {steps.Length} labels, sequence {i} has {inputs.Lengths[i]} steps.", parameter);
            foreach (int label in steps)
            {
                if (label < 0)
                    throw new ArgumentOutOfRangeException(parameter, $"{parameter}[{i}] holds the negative label {label}.");
                max = Math.Max(max, label);
            }
            examples[i] = inputs.Examples[i] with { StepLabels = (int[])steps.Clone() };
        }
        return new SequenceDataset(examples, inputs.Width, Answer.StepLabels, max + 1);
    }

    /// <summary>Rows [n][w] → [n·w], checking that every row has the same width (fixed by the first row seen) and finite values.</summary>
    private static float[] Flatten(float[][] rows, ref int width, string what, string parameter)
    {
        for (int t = 0; t < rows.Length; t++)
        {
            var row = rows[t] ?? throw new ArgumentNullException(parameter, $"{what}[{t}] is null.");
            if (row.Length == 0)
                throw new ArgumentException($"{what}[{t}] holds no values.", parameter);
            if (width >= 0 && row.Length != width)
                throw new ArgumentException($"{what}[{t}] holds {row.Length} values, {width} expected (every row the same width).", parameter);
            width = row.Length;
        }
        var flat = new float[rows.Length * width];
        for (int t = 0; t < rows.Length; t++)
            rows[t].CopyTo(flat, t * width);
        CheckFinite(flat, width, what, parameter);
        return flat;
    }

    private static void CheckFinite(float[] values, int width, string what, string parameter)
    {
        for (int i = 0; i < values.Length; i++)
        {
            if (!float.IsFinite(values[i]))
                throw new ArgumentException($"{what}: value {i % width} of step {i / width} is {values[i]}.", parameter);
        }
    }

    private static int CheckToken(int token, string parameter) =>
        token >= 0 ? token : throw new ArgumentOutOfRangeException(parameter, $"token id {token} is negative.");

    private static void NotEmpty(int count, string parameter)
    {
        if (count == 0)
            throw new ArgumentException("holds no sequences.", parameter);
    }

    private static void CheckCount(int sequences, int answers, string parameter)
    {
        if (answers != sequences)
            throw new ArgumentException($"holds {answers} entries for {sequences} sequences.", parameter);
    }
}
