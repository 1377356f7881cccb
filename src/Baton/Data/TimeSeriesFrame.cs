using System.Globalization;

namespace Baton.Data;

/// <summary>
/// Numeric columns of a time series, one value per row, checked for the errors a forecaster must not
/// paper over: missing columns, non-numeric cells, missing values (unless a fill is asked for),
/// constant columns, and times that are unsorted or repeated.
/// </summary>
internal sealed class TimeSeriesFrame
{
    private static readonly string[] MissingMarkers = ["", "NA", "N/A", "NaN", "nan", "null", "NULL", "None"];

    /// <summary>Creates a frame from columns of equal length; <paramref name="times"/> is empty or one per row.</summary>
    public TimeSeriesFrame(IReadOnlyList<string> names, IReadOnlyList<double[]> columns, IReadOnlyList<string> times,
        string? timeName = null)
    {
        ArgumentNullException.ThrowIfNull(names);
        ArgumentNullException.ThrowIfNull(columns);
        ArgumentNullException.ThrowIfNull(times);
        if (names.Count != columns.Count)
            throw new ArgumentException("One name per column.", nameof(names));
        int length = columns.Count > 0 ? columns[0].Length : times.Count;
        foreach (double[] column in columns)
        {
            if (column.Length != length)
                throw new ArgumentException("Columns differ in length.", nameof(columns));
        }
        if (times.Count != 0 && times.Count != length)
            throw new ArgumentException("One time per row.", nameof(times));
        Names = names;
        Columns = columns;
        Times = times;
        TimeName = timeName;
        Length = length;
    }

    /// <summary>Column names, in the order of <see cref="Columns"/>.</summary>
    public IReadOnlyList<string> Names { get; }

    /// <summary>Column values.</summary>
    public IReadOnlyList<double[]> Columns { get; }

    /// <summary>Time of each row as written in the file, or empty when the series has no time column.</summary>
    public IReadOnlyList<string> Times { get; }

    /// <summary>Name of the time column, or null.</summary>
    public string? TimeName { get; }

    /// <summary>Number of rows.</summary>
    public int Length { get; }

    /// <summary>The values of column <paramref name="name"/>.</summary>
    public double[] Column(string name)
    {
        for (int c = 0; c < Names.Count; c++)
        {
            if (Names[c] == name)
                return Columns[c];
        }
        throw new TimeSeriesDataException($"no column named '{name}' (columns: {string.Join(", ", Names)}).");
    }

    /// <summary>
    /// The time column to use when none is named: the first column called time, date, datetime,
    /// timestamp or ds (any case), or null.
    /// </summary>
    public static string? GuessTimeColumn(CsvTable table)
    {
        ArgumentNullException.ThrowIfNull(table);
        string[] usual = ["time", "date", "datetime", "timestamp", "ds"];
        return table.Columns.FirstOrDefault(c => usual.Contains(c.ToLowerInvariant()));
    }

    /// <summary>
    /// Parses <paramref name="columns"/> of <paramref name="table"/> as numbers (invariant culture) and, when
    /// <paramref name="timeColumn"/> is given, checks that its times (ISO 8601 dates or numbers) strictly increase.
    /// Every problem is a <see cref="TimeSeriesDataException"/> with a one-line message naming line and column.
    /// A constant column is one too, unless <paramref name="rejectConstant"/> is false (prediction over a short stretch).
    /// </summary>
    public static TimeSeriesFrame FromTable(CsvTable table, string? timeColumn, IReadOnlyList<string> columns,
        TimeSeriesFill fill = TimeSeriesFill.None, bool rejectConstant = true)
    {
        ArgumentNullException.ThrowIfNull(table);
        ArgumentNullException.ThrowIfNull(columns);
        if (columns.Count == 0)
            throw new TimeSeriesDataException($"{table.Source}: no value columns were chosen.");
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (string name in columns)
        {
            if (!seen.Add(name))
                throw new TimeSeriesDataException($"column '{name}' is named twice (targets and features must differ).");
            if (name == timeColumn)
                throw new TimeSeriesDataException($"column '{name}' is the time column; it cannot also be a value.");
        }
        int[] indices = [.. columns.Select(table.ColumnIndex)];
        int n = table.Rows.Count;
        if (n == 0)
            throw new TimeSeriesDataException($"{table.Source}: the file has a header but no rows.");

        var values = new double[columns.Count][];
        for (int c = 0; c < columns.Count; c++)
        {
            values[c] = ParseColumn(table, indices[c], columns[c], fill);
            if (rejectConstant)
                CheckNotConstant(table.Source, columns[c], values[c]);
        }

        string[] times = [];
        if (timeColumn is not null)
        {
            int timeIndex = table.ColumnIndex(timeColumn);
            times = [.. table.Rows.Select(row => row[timeIndex].Trim())];
            CheckTimes(table, timeColumn, times);
        }
        return new TimeSeriesFrame([.. columns], values, times, timeColumn);
    }

    /// <summary>Throws when every value of <paramref name="values"/> is the same.</summary>
    public static void CheckNotConstant(string source, string name, ReadOnlySpan<double> values)
    {
        if (values.Length == 0)
            return;
        foreach (double v in values)
        {
            if (v != values[0])
                return;
        }
        throw new TimeSeriesDataException(
            $"{source}: column '{name}' is constant ({Format(values[0])} on every row); it cannot be scaled or forecast.");
    }

    /// <summary>True when <paramref name="cell"/> marks a missing value (empty, NA, NaN, null, ...).</summary>
    public static bool IsMissing(string cell) => MissingMarkers.Contains(cell.Trim());

    /// <summary>Parses one numeric cell; throws with the line and column when it is not a finite number.</summary>
    public static double ParseNumber(string cell, string source, int line, string column)
    {
        if (double.TryParse(cell.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out double value)
            && double.IsFinite(value))
        {
            return value;
        }
        throw new TimeSeriesDataException($"{source} line {line}, column '{column}': '{cell}' is not a number.");
    }

    /// <summary>Writes a frame as CSV: the time column (if any) first, then the value columns.</summary>
    public void WriteCsv(TextWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        var header = new List<string>();
        if (TimeName is not null)
            header.Add(TimeName);
        header.AddRange(Names);
        var rows = Enumerable.Range(0, Length).Select(r =>
        {
            var cells = new List<string>(header.Count);
            if (TimeName is not null)
                cells.Add(Times[r]);
            foreach (double[] column in Columns)
                cells.Add(column[r].ToString("R", CultureInfo.InvariantCulture));
            return (IReadOnlyList<string>)cells;
        });
        CsvTable.Write(writer, header, rows);
    }

    private static double[] ParseColumn(CsvTable table, int index, string name, TimeSeriesFill fill)
    {
        int n = table.Rows.Count;
        var values = new double[n];
        var missing = new bool[n];
        for (int r = 0; r < n; r++)
        {
            string cell = table.Rows[r][index];
            if (IsMissing(cell))
            {
                if (fill == TimeSeriesFill.None)
                {
                    throw new TimeSeriesDataException(
                        $"{table.Source} line {table.Lines[r]}, column '{name}': missing value (fill it explicitly with --fill forward|linear|zero).");
                }
                missing[r] = true;
                continue;
            }
            values[r] = ParseNumber(cell, table.Source, table.Lines[r], name);
        }
        Fill(values, missing, fill, table, name);
        return values;
    }

    private static void Fill(double[] values, bool[] missing, TimeSeriesFill fill, CsvTable table, string name)
    {
        int n = values.Length;
        int firstKnown = Array.IndexOf(missing, false);
        if (firstKnown < 0)
        {
            if (n == 0)
                return;
            throw new TimeSeriesDataException($"{table.Source}: column '{name}' has no values at all.");
        }
        switch (fill)
        {
            case TimeSeriesFill.Zero:
                for (int r = 0; r < n; r++)
                {
                    if (missing[r])
                        values[r] = 0;
                }
                break;
            case TimeSeriesFill.Forward:
                if (firstKnown > 0)
                {
                    throw new TimeSeriesDataException(
                        $"{table.Source} line {table.Lines[0]}, column '{name}': missing value with nothing above it to carry forward (use --fill linear or zero).");
                }
                for (int r = 1; r < n; r++)
                {
                    if (missing[r])
                        values[r] = values[r - 1];
                }
                break;
            case TimeSeriesFill.Linear:
                int previous = -1;
                for (int r = 0; r < n; r++)
                {
                    if (missing[r])
                        continue;
                    if (previous < 0)
                    {
                        for (int g = 0; g < r; g++)
                            values[g] = values[r];
                    }
                    else
                    {
                        for (int g = previous + 1; g < r; g++)
                        {
                            double w = (double)(g - previous) / (r - previous);
                            values[g] = values[previous] + w * (values[r] - values[previous]);
                        }
                    }
                    previous = r;
                }
                for (int g = previous + 1; g < n; g++)
                    values[g] = values[previous];
                break;
        }
    }

    private static void CheckTimes(CsvTable table, string timeColumn, string[] times)
    {
        bool numeric = times.Length > 0 && IsNumericTime(times[0]);
        double previous = double.NegativeInfinity;
        for (int r = 0; r < times.Length; r++)
        {
            double key = TimeKey(times[r], numeric, table.Source, table.Lines[r], timeColumn);
            if (r > 0)
                CheckOrder(key, previous, times[r], times[r - 1], table.Source, table.Lines[r], table.Lines[r - 1], timeColumn);
            previous = key;
        }
    }

    /// <summary>True when a time cell is a plain number (a step index) rather than a date.</summary>
    public static bool IsNumericTime(string cell) =>
        double.TryParse(cell.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out _);

    /// <summary>
    /// The sort key of a time cell: the number itself when <paramref name="numeric"/>, else the UTC ticks of an
    /// ISO 8601 date. A cell that does not parse is a <see cref="TimeSeriesDataException"/> naming line and column.
    /// </summary>
    public static double TimeKey(string cell, bool numeric, string source, int line, string column)
    {
        cell = cell.Trim();
        if (cell.Length == 0)
            throw new TimeSeriesDataException($"{source} line {line}, column '{column}': missing time.");
        if (numeric)
        {
            if (!double.TryParse(cell, NumberStyles.Float, CultureInfo.InvariantCulture, out double number) || !double.IsFinite(number))
                throw new TimeSeriesDataException($"{source} line {line}, column '{column}': '{cell}' is not a number like the times above it.");
            return number;
        }
        if (!DateTime.TryParse(cell, CultureInfo.InvariantCulture,
                DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out DateTime time))
            throw new TimeSeriesDataException($"{source} line {line}, column '{column}': '{cell}' is not a date (ISO 8601, e.g. 2024-01-31T13:00:00).");
        return time.Ticks;
    }

    /// <summary>Throws when time <paramref name="key"/> does not come strictly after <paramref name="previousKey"/>.</summary>
    public static void CheckOrder(double key, double previousKey, string cell, string previousCell, string source, int line,
        int previousLine, string column)
    {
        if (key == previousKey)
            throw new TimeSeriesDataException($"{source} line {line}, column '{column}': duplicate time '{cell}' (also on line {previousLine}).");
        if (key < previousKey)
            throw new TimeSeriesDataException($"{source} line {line}, column '{column}': times are not sorted ('{cell}' comes after '{previousCell}').");
    }

    private static string Format(double value) => value.ToString("R", CultureInfo.InvariantCulture);
}
