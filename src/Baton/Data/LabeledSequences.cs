using System.Globalization;

namespace Baton.Data;

/// <summary>
/// Variable-length sequences of feature vectors, each with an id and (for training) a label: the long-format table
/// of <c>baton classify</c> (one row per step; an id column names the sequence of each row, an optional time column
/// orders the rows of a sequence, file order otherwise). Features are raw (unscaled) values, [len, I] row-major per sequence.
/// </summary>
internal sealed class LabeledSequences
{
    /// <summary>Creates the set; <paramref name="labels"/> is null when the data carry no labels (prediction).</summary>
    public LabeledSequences(string[] featureNames, string[] ids, float[][] features, string[]? labels, int[] firstLines)
    {
        FeatureNames = featureNames;
        Ids = ids;
        Features = features;
        Labels = labels;
        FirstLines = firstLines;
    }

    /// <summary>Names of the I features, in model order.</summary>
    public string[] FeatureNames { get; }

    /// <summary>Sequence ids, in order of first appearance.</summary>
    public string[] Ids { get; }

    /// <summary>Raw features of each sequence, [len, I] row-major.</summary>
    public float[][] Features { get; }

    /// <summary>Label of each sequence (null when the table has no label column).</summary>
    public string[]? Labels { get; }

    /// <summary>File line of each sequence's first step (for messages; 0 where there is no file line).</summary>
    public int[] FirstLines { get; }

    /// <summary>Number of sequences.</summary>
    public int Count => Ids.Length;

    /// <summary>Number of features I.</summary>
    public int InputSize => FeatureNames.Length;

    /// <summary>Steps of sequence <paramref name="i"/>.</summary>
    public int Length(int i) => Features[i].Length / InputSize;

    /// <summary>
    /// Groups the rows of <paramref name="table"/> into sequences. <paramref name="labelColumn"/> null reads no labels;
    /// <paramref name="features"/> empty takes every other column whose cells are all numbers. Every problem is a
    /// <see cref="SequenceDataException"/> naming the file and line (and the sequence id where it matters).
    /// </summary>
    public static LabeledSequences FromTable(CsvTable table, string idColumn, string? labelColumn, string? timeColumn,
        IReadOnlyList<string> features)
    {
        ArgumentNullException.ThrowIfNull(table);
        ArgumentNullException.ThrowIfNull(features);
        string source = table.Source;
        int Column(string name, string option) => table.HasColumn(name)
            ? table.ColumnIndex(name)
            : throw new SequenceDataException($"{source}: no column named '{name}' for {option} (columns: {string.Join(", ", table.Columns)}).");
        int idIndex = Column(idColumn, "--id");
        int labelIndex = labelColumn is null ? -1 : Column(labelColumn, "--label");
        int timeIndex = timeColumn is null ? -1 : Column(timeColumn, "--time");
        if (table.RowCount == 0)
            throw new SequenceDataException($"{source}: no rows after the header.");

        string[] featureNames;
        if (features.Count > 0)
        {
            foreach (string name in features)
            {
                if (name == idColumn || name == labelColumn || name == timeColumn)
                    throw new SequenceDataException($"{source}: column '{name}' cannot be both a feature and the id, label or time.");
                Column(name, "--features");
            }
            featureNames = [.. features];
        }
        else
        {
            featureNames = [.. table.Columns.Where((name, c) => c != idIndex && c != labelIndex && c != timeIndex
                && Enumerable.Range(0, table.RowCount).All(r => table.IsNumber(r, c, out _) || TryNumber(table.Cell(r, c), out _)))];
            if (featureNames.Length == 0)
                throw new SequenceDataException($"{source}: no numeric feature column besides the id, label and time (columns: {string.Join(", ", table.Columns)}).");
        }
        int[] featureIndex = [.. featureNames.Select(name => table.ColumnIndex(name))];
        int I = featureNames.Length;

        var order = new Dictionary<string, int>(StringComparer.Ordinal);
        var rowsOf = new List<List<int>>();
        var labels = new List<string>();
        var labelLines = new List<int>();
        for (int r = 0; r < table.RowCount; r++)
        {
            int line = table.Line(r);
            string id = table.Cell(r, idIndex).Trim();
            if (id.Length == 0)
                throw new SequenceDataException($"{source} line {line}: empty id in column '{idColumn}'.");
            string? label = labelIndex < 0 ? null : table.Cell(r, labelIndex).Trim();
            if (label is { Length: 0 })
                throw new SequenceDataException($"{source} line {line}: sequence '{id}' has an empty label in column '{labelColumn}'.");
            if (!order.TryGetValue(id, out int s))
            {
                s = rowsOf.Count;
                order[id] = s;
                rowsOf.Add([]);
                labels.Add(label ?? "");
                labelLines.Add(line);
            }
            else if (label is not null && label != labels[s])
            {
                throw new SequenceDataException(
                    $"{source} line {line}: the label of sequence '{id}' changes from '{labels[s]}' (line {labelLines[s]}) to '{label}'.");
            }
            rowsOf[s].Add(r);
        }

        var ids = order.Keys.ToArray();
        var values = new float[ids.Length][];
        var firstLines = new int[ids.Length];
        for (int s = 0; s < ids.Length; s++)
        {
            var rows = rowsOf[s];
            if (timeIndex >= 0)
                rows = SortByTime(table, rows, timeIndex, timeColumn!, ids[s]);
            var x = new float[rows.Count * I];
            for (int t = 0; t < rows.Count; t++)
            {
                for (int f = 0; f < I; f++)
                {
                    if (table.IsNumber(rows[t], featureIndex[f], out double number) && Math.Abs(number) <= float.MaxValue)
                    {
                        x[t * I + f] = (float)number;   // what TryNumber gives for the cell
                        continue;
                    }
                    string cell = table.Cell(rows[t], featureIndex[f]);
                    if (!TryNumber(cell, out double v))
                        throw new SequenceDataException(cell.Trim().Length == 0
                            ? $"{source} line {table.Line(rows[t])}, column '{featureNames[f]}': missing value."
                            : $"{source} line {table.Line(rows[t])}, column '{featureNames[f]}': '{cell}' is not a number.");
                    if (Math.Abs(v) > float.MaxValue)
                        throw new SequenceDataException($"{source} line {table.Line(rows[t])}, column '{featureNames[f]}': {cell} is outside float32's range.");
                    x[t * I + f] = (float)v;
                }
            }
            values[s] = x;
            firstLines[s] = table.Line(rows[0]);
        }
        return new LabeledSequences(featureNames, ids, values, labelIndex < 0 ? null : [.. labels], firstLines);
    }

    private static List<int> SortByTime(CsvTable table, List<int> rows, int timeIndex, string timeColumn, string id)
    {
        var keys = new double[rows.Count];
        for (int t = 0; t < rows.Count; t++)
        {
            string cell = table.Cell(rows[t], timeIndex).Trim();
            if (TryNumber(cell, out double number))
                keys[t] = number;
            else if (DateTime.TryParse(cell, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var date))
                keys[t] = date.Ticks;
            else
                throw new SequenceDataException($"{table.Source} line {table.Line(rows[t])}, column '{timeColumn}': '{cell}' is neither a number nor a date.");
        }
        int[] index = [.. Enumerable.Range(0, rows.Count).OrderBy(t => keys[t]).ThenBy(t => t)];
        for (int k = 1; k < index.Length; k++)
        {
            if (keys[index[k]] == keys[index[k - 1]])
                throw new SequenceDataException(
                    $"{table.Source} line {table.Line(rows[index[k]])}: sequence '{id}' has time '{table.Cell(rows[index[k]], timeIndex).Trim()}' twice (also line {table.Line(rows[index[k - 1]])}).");
        }
        return [.. index.Select(t => rows[t])];
    }

    /// <summary>Parses a number with the invariant culture (a missing cell is not a number).</summary>
    public static bool TryNumber(string cell, out double value) =>
        double.TryParse(cell.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out value) && double.IsFinite(value);

    /// <summary>The distinct labels, sorted (numerically when every label is a number, else ordinally).</summary>
    public static string[] ClassNames(IEnumerable<string> labels)
    {
        var distinct = labels.Distinct(StringComparer.Ordinal).ToArray();
        return distinct.All(l => TryNumber(l, out _))
            ? [.. distinct.OrderBy(l => double.Parse(l, CultureInfo.InvariantCulture)).ThenBy(l => l, StringComparer.Ordinal)]
            : [.. distinct.OrderBy(l => l, StringComparer.Ordinal)];
    }
}
