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

    /// <summary>The spacing of the time column, or null without one (or with fewer than two rows).</summary>
    public TimeSeriesStep? Step { get; init; }

    /// <summary>What reading found and repaired (gaps filled, outliers kept or filled), one line each.</summary>
    public IReadOnlyList<string> Notes { get; init; } = [];

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
    /// Parses <paramref name="columns"/> of <paramref name="table"/> as <see cref="FromTable(CsvTable, string?, IReadOnlyList{string}, TimeSeriesReadOptions)"/>
    /// does, with fill <paramref name="fill"/> and the other options at their defaults.
    /// </summary>
    public static TimeSeriesFrame FromTable(CsvTable table, string? timeColumn, IReadOnlyList<string> columns,
        TimeSeriesFill fill = TimeSeriesFill.None, bool rejectConstant = true) =>
        FromTable(table, timeColumn, columns, new TimeSeriesReadOptions { Fill = fill, RejectConstant = rejectConstant });

    /// <summary>
    /// Parses <paramref name="columns"/> of <paramref name="table"/> as numbers (invariant culture) and, when
    /// <paramref name="timeColumn"/> is given, checks that its times (ISO 8601 dates, dates in
    /// <see cref="TimeSeriesReadOptions.TimeFormat"/>, or numbers) strictly increase at a regular step
    /// (<see cref="TimeSeriesStep.Infer"/>). Rows missing from that step (gaps), missing cells and outliers
    /// (<see cref="TimeSeriesOutliers"/>) are errors unless <see cref="TimeSeriesReadOptions.Fill"/> fills them
    /// (inserted rows get ISO 8601 times; outliers are kept instead with <see cref="TimeSeriesReadOptions.AllowOutliers"/>).
    /// Every problem is a <see cref="TimeSeriesDataException"/> with a one-line message naming line and column.
    /// </summary>
    public static TimeSeriesFrame FromTable(CsvTable table, string? timeColumn, IReadOnlyList<string> columns, TimeSeriesReadOptions options)
    {
        ArgumentNullException.ThrowIfNull(table);
        ArgumentNullException.ThrowIfNull(columns);
        ArgumentNullException.ThrowIfNull(options);
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
        int n = table.RowCount;
        if (n == 0)
            throw new TimeSeriesDataException($"{table.Source}: the file has a header but no rows.");

        var notes = new List<string>();
        IReadOnlyList<string> times = [];
        TimeSeriesStep? step = null;
        int[] position = [.. Enumerable.Range(0, n)];   // the row each table row becomes once gaps are filled
        int length = n;
        if (timeColumn is not null)
        {
            int timeIndex = table.ColumnIndex(timeColumn);
            var cells = table.TrimmedText(timeIndex);
            double[] keys = CheckTimes(table, timeColumn, cells, options.TimeFormat, out bool numeric);
            step = TimeSeriesStep.Infer(keys, numeric);
            times = cells;
            if (step is TimeSeriesStep regular)
                (times, position, length) = FindGaps(table, timeColumn, cells, keys, regular, numeric, options.Fill, notes);
        }

        var values = new double[columns.Count][];
        for (int c = 0; c < columns.Count; c++)
        {
            values[c] = ParseColumn(table, indices[c], columns[c], options, position, length, notes);
            if (options.RejectConstant)
                CheckNotConstant(table.Source, columns[c], values[c]);
        }
        return new TimeSeriesFrame([.. columns], values, times, timeColumn) { Step = step, Notes = notes };
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

    private static double[] ParseColumn(CsvTable table, int index, string name, TimeSeriesReadOptions options, int[] position,
        int length, List<string> notes)
    {
        var values = new double[length];
        var missing = new bool[length];
        Array.Fill(missing, true);
        for (int r = 0; r < table.RowCount; r++)
        {
            if (table.IsNumber(r, index, out double number))
            {
                values[position[r]] = number;   // what ParseNumber gives for the cell
                missing[position[r]] = false;
                continue;
            }
            string cell = table.Cell(r, index);
            if (IsMissing(cell))
            {
                if (options.Fill == TimeSeriesFill.None)
                {
                    throw new TimeSeriesDataException(
                        $"{table.Source} line {table.Line(r)}, column '{name}': missing value (fill it explicitly with --fill forward|linear|zero).");
                }
                continue;
            }
            values[position[r]] = ParseNumber(cell, table.Source, table.Line(r), name);
            missing[position[r]] = false;
        }
        CheckOutliers(table, name, options, position, values, missing, notes);
        Fill(values, missing, options.Fill, table, name);
        return values;
    }

    private static void CheckOutliers(CsvTable table, string name, TimeSeriesReadOptions options, int[] position, double[] values,
        bool[] missing, List<string> notes)
    {
        int[] found;
        if (Array.IndexOf(missing, true) < 0)
        {
            found = TimeSeriesOutliers.Find(values);
        }
        else
        {
            int[] known = [.. Enumerable.Range(0, values.Length).Where(r => !missing[r])];
            found = [.. TimeSeriesOutliers.Find([.. known.Select(r => values[r])]).Select(i => known[i])];
        }
        if (found.Length == 0)
            return;
        var lineOf = new Dictionary<int, int>();
        for (int r = 0; r < position.Length; r++)
            lineOf[position[r]] = table.Line(r);
        string first = $"line {lineOf[found[0]]}: {Format(values[found[0]])}";
        string what = $"column '{name}' has {found.Length} outlier{(found.Length == 1 ? "" : "s")} " +
            $"(a jump of more than {TimeSeriesOutliers.Bound} robust deviations and back; first {first})";
        if (options.AllowOutliers)
        {
            notes.Add($"{what}, kept (--allow-outliers)");
            return;
        }
        if (options.Fill == TimeSeriesFill.None)
            throw new TimeSeriesDataException($"{table.Source}: {what}; keep them with --allow-outliers or replace them with --fill forward|linear|zero.");
        foreach (int r in found)
            missing[r] = true;
        notes.Add($"{what}, filled ({options.Fill.ToString().ToLowerInvariant()})");
    }

    private static (IReadOnlyList<string> Times, int[] Position, int Length) FindGaps(CsvTable table, string timeColumn, TextColumn cells, double[] keys,
        TimeSeriesStep step, bool numeric, TimeSeriesFill fill, List<string> notes)
    {
        int n = cells.Count;
        var position = new int[n];
        int gaps = 0;
        long inserted = 0;
        string? firstGap = null;
        for (int r = 1; r < n; r++)
        {
            long steps = step.StepsBetween(keys[r - 1], keys[r]);
            if (steps < 1)
            {
                // Irregular spacing: kept as it is (no gap can be named), and said once.
                if (!notes.Any(n => n.StartsWith("irregular", StringComparison.Ordinal)))
                    notes.Add($"irregular times: line {table.Line(r)} ('{cells[r]}') is not a whole number of {step} steps after line {table.Line(r - 1)}");
                steps = 1;
            }
            if (steps > 1)
            {
                gaps++;
                inserted += steps - 1;
                firstGap ??= $"line {table.Line(r)}: {steps - 1} row{(steps == 2 ? "" : "s")} missing between '{cells[r - 1]}' and '{cells[r]}'";
            }
            position[r] = (int)Math.Min(int.MaxValue, position[r - 1] + steps);
        }
        if (gaps == 0)
            return (cells, position, n);
        string what = $"column '{timeColumn}' has {gaps} gap{(gaps == 1 ? "" : "s")} in its {step} steps ({inserted} rows missing; first at {firstGap})";
        if (fill == TimeSeriesFill.None)
            throw new TimeSeriesDataException($"{table.Source}: {what}; fill them with --fill forward|linear|zero.");
        if (n + inserted > 50_000_000)
            throw new TimeSeriesDataException($"{table.Source}: {what}; filling would make {n + inserted} rows.");
        int length = (int)(n + inserted);
        var times = new TextColumn();
        for (int r = 0; r < n; r++)
        {
            times.Add(cells.Span(r));
            if (r + 1 < n)
            {
                for (int g = position[r] + 1; g < position[r + 1]; g++)
                    times.Add(numeric ? Format(step.Advance(keys[r], g - position[r]))
                        : new DateTime((long)step.Advance(keys[r], g - position[r]), DateTimeKind.Utc).ToString("yyyy-MM-dd'T'HH:mm:ss", CultureInfo.InvariantCulture));
            }
        }
        times.TrimExcess();
        notes.Add($"{what}, filled ({fill.ToString().ToLowerInvariant()})");
        return (times, position, length);
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
                        $"{table.Source} line {table.Line(0)}, column '{name}': missing value with nothing above it to carry forward (use --fill linear or zero).");
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

    private static double[] CheckTimes(CsvTable table, string timeColumn, TextColumn times, string? format, out bool numeric)
    {
        numeric = format is null && times.Count > 0 && IsNumericTime(times[0]);
        var keys = new double[times.Count];
        for (int r = 0; r < times.Count; r++)
        {
            keys[r] = TimeKey(times[r], numeric, table.Source, table.Line(r), timeColumn, format);
            if (r > 0 && keys[r] <= keys[r - 1])
                CheckOrder(keys[r], keys[r - 1], times[r], times[r - 1], table.Source, table.Line(r), table.Line(r - 1), timeColumn);
        }
        return keys;
    }

    /// <summary>True when a time cell is a plain number (a step index) rather than a date.</summary>
    public static bool IsNumericTime(string cell) =>
        double.TryParse(cell.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out _);

    private static readonly string[] IsoFormats =
    [
        "yyyy-MM", "yyyy-MM-dd",
        "yyyy-MM-dd'T'HH:mm", "yyyy-MM-dd'T'HH:mm:ss", "yyyy-MM-dd'T'HH:mm:ss.FFFFFFF",
        "yyyy-MM-dd HH:mm", "yyyy-MM-dd HH:mm:ss", "yyyy-MM-dd HH:mm:ss.FFFFFFF",
        "yyyy-MM-dd'T'HH:mmK", "yyyy-MM-dd'T'HH:mm:ssK", "yyyy-MM-dd'T'HH:mm:ss.FFFFFFFK",
        "yyyy-MM-dd HH:mmK", "yyyy-MM-dd HH:mm:ssK", "yyyy-MM-dd HH:mm:ss.FFFFFFFK",
    ];

    /// <summary>
    /// The sort key of a time cell: the number itself when <paramref name="numeric"/>, else the UTC ticks of a date in
    /// ISO 8601 (<c>yyyy-MM</c>, <c>yyyy-MM-dd</c>, <c>yyyy-MM-ddTHH:mm[:ss[.fff]]</c>, a space for the T, an optional
    /// Z or offset) or, when <paramref name="format"/> is given, in that .NET custom format only. Anything else
    /// (<c>01/02/1949</c> could be January or February) is a <see cref="TimeSeriesDataException"/> naming line and column.
    /// </summary>
    public static double TimeKey(string cell, bool numeric, string source, int line, string column, string? format = null)
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
        var styles = DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal;
        if (format is not null)
        {
            if (!DateTime.TryParseExact(cell, format, CultureInfo.InvariantCulture, styles, out DateTime custom))
                throw new TimeSeriesDataException($"{source} line {line}, column '{column}': '{cell}' is not a date in --time-format '{format}'.");
            return custom.Ticks;
        }
        if (!DateTime.TryParseExact(cell, IsoFormats, CultureInfo.InvariantCulture, styles, out DateTime time))
        {
            throw new TimeSeriesDataException(
                $"{source} line {line}, column '{column}': '{cell}' is not an ISO 8601 date (e.g. 2024-01-31 or 2024-01-31T13:00:00); " +
                "give its format with --time-format, e.g. --time-format dd/MM/yyyy.");
        }
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
