using System.Globalization;
using CsvHelper;
using CsvHelper.Configuration;

namespace Baton.Data;

/// <summary>
/// A CSV file read in one pass into columns: a header of column names and, for every row, its cells and the file line it
/// came from. A cell that is a finite number written the way <c>double.ToString("R")</c> writes it back is kept as a
/// double (8 bytes); any other cell as text in its column's <see cref="TextColumn"/>, so every cell reads back exactly as
/// written and no string per cell is kept. Parsing follows RFC 4180 (quoted fields, doubled quotes) with the invariant
/// culture, so a decimal point is '.' whatever the machine's culture.
/// </summary>
internal sealed class CsvTable
{
    private readonly Dictionary<string, int> columnIndex;
    private readonly Column[] columns;
    private readonly ChunkedColumn<int> lines;

    /// <summary>Creates a table from rows of cells; <paramref name="lines"/> gives the file line (1-based) of each row.</summary>
    public CsvTable(string source, IReadOnlyList<string> columns, IReadOnlyList<string[]> rows, IReadOnlyList<int> lines)
        : this(Build(source, columns, rows, lines))
    {
    }

    private CsvTable(Builder built)
    {
        Source = built.Source;
        Columns = built.Header;
        columns = built.Columns;
        foreach (var column in columns)
            column.TrimExcess();
        lines = built.Lines;
        RowCount = built.RowCount;
        Rows = new RowList(this);
        Lines = new LineList(lines);
        columnIndex = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int c = 0; c < Columns.Count; c++)
        {
            if (!columnIndex.TryAdd(Columns[c], c))
                throw new TimeSeriesDataException($"{Source}: the header names column '{Columns[c]}' twice.");
        }
    }

    /// <summary>Where the table came from (a file name), used in error messages.</summary>
    public string Source { get; }

    /// <summary>Column names from the header, in file order.</summary>
    public IReadOnlyList<string> Columns { get; }

    /// <summary>Number of rows (the header and blank lines not counted).</summary>
    public int RowCount { get; }

    /// <summary>Rows of cells, one per column, each row made into strings when it is read (<see cref="Cell"/> reads one cell).</summary>
    public IReadOnlyList<string[]> Rows { get; }

    /// <summary>File line (1-based, the header is line 1) where each row starts.</summary>
    public IReadOnlyList<int> Lines { get; }

    /// <summary>
    /// Bytes of the arrays the table holds for its rows: 8 per numeric cell, 2 per character and 4 per text cell (plus 4 per
    /// row of a column holding both kinds), 4 per row for its line; numbers and lines are held in blocks of
    /// <see cref="ChunkedColumn{T}.ChunkSize"/> rows, the last one partly used.
    /// </summary>
    public long HeldBytes => lines.HeldBytes + columns.Sum(c => c.HeldBytes);

    /// <summary>The cell of row <paramref name="row"/>, column <paramref name="column"/>, exactly as written in the file.</summary>
    public string Cell(int row, int column)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(row);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(row, RowCount);
        return columns[column].Cell(row);
    }

    /// <summary>
    /// True, with its value, when the cell is kept as a number (a finite number written as <c>ToString("R")</c> writes it):
    /// then <c>double.Parse(Cell(row, column))</c> is <paramref name="value"/>. False for any other cell, numeric or not.
    /// </summary>
    public bool IsNumber(int row, int column, out double value)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(row);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(row, RowCount);
        return columns[column].IsNumber(row, out value);
    }

    /// <summary>
    /// The cells of column <paramref name="column"/> without leading or trailing white space, held as one exactly sized
    /// <see cref="TextColumn"/> (no string per cell is made).
    /// </summary>
    public TextColumn TrimmedText(int column)
    {
        var cells = columns[column];
        Span<char> buffer = stackalloc char[32];
        long characters = 0;
        for (int r = 0; r < RowCount; r++)
            characters += cells.Write(r, buffer).Trim().Length;
        if (characters > TextColumn.MaxCharacters)
            throw new TimeSeriesDataException($"{Source}: column '{Columns[column]}' holds more than {TextColumn.MaxCharacters} characters of text.");
        var text = new TextColumn(RowCount, (int)characters);
        for (int r = 0; r < RowCount; r++)
            text.Add(cells.Write(r, buffer).Trim());
        return text;
    }

    /// <summary>File line of row <paramref name="row"/>.</summary>
    public int Line(int row) => Lines[row];

    /// <summary>True when the header has a column named <paramref name="name"/> (exact, case-sensitive).</summary>
    public bool HasColumn(string name) => columnIndex.ContainsKey(name);

    /// <summary>Index of column <paramref name="name"/>; a missing column is a <see cref="TimeSeriesDataException"/>.</summary>
    public int ColumnIndex(string name)
    {
        if (columnIndex.TryGetValue(name, out int index))
            return index;
        throw new TimeSeriesDataException(
            $"{Source}: no column named '{name}' (columns: {string.Join(", ", Columns)}).");
    }

    /// <summary>Reads a CSV file with a header line.</summary>
    public static CsvTable Load(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!File.Exists(path))
            throw new TimeSeriesDataException($"{path}: file not found.");
        using var reader = new StreamReader(path);
        return Read(reader, Path.GetFileName(path));
    }

    /// <summary>Reads CSV text with a header line in one pass; <paramref name="source"/> names it in error messages.</summary>
    public static CsvTable Read(TextReader reader, string source)
    {
        ArgumentNullException.ThrowIfNull(reader);
        using var parser = new CsvParser(reader, Configuration(), leaveOpen: true);
        Builder? table = null;
        int nextLine = 1;
        try
        {
            while (parser.Read())
            {
                int line = parser.RawRow - parser.RawRecord.TrimEnd('\r', '\n').Count(c => c == '\n');
                nextLine = parser.RawRow + 1;
                string[] record = parser.Record ?? [];
                if (record.Length == 1 && record[0].Length == 0)
                    continue; // blank line
                if (table is null)
                {
                    table = new Builder(source, [.. record.Select(name => name.Trim())]);
                    continue;
                }
                if (record.Length != table.Header.Length)
                    throw new TimeSeriesDataException(
                        $"{source} line {line}: {record.Length} fields, but the header has {table.Header.Length}.");
                table.Add(record, line);
            }
        }
        catch (CsvHelperException e)
        {
            throw new TimeSeriesDataException($"{source} line {nextLine}: not valid CSV ({FirstLine(e.Message)}).");
        }
        if (table is null)
            throw new TimeSeriesDataException($"{source}: empty file (a header line is needed).");
        return new CsvTable(table);
    }

    private static Builder Build(string source, IReadOnlyList<string> header, IReadOnlyList<string[]> rows, IReadOnlyList<int> lines)
    {
        ArgumentNullException.ThrowIfNull(header);
        ArgumentNullException.ThrowIfNull(rows);
        ArgumentNullException.ThrowIfNull(lines);
        if (rows.Count != lines.Count)
            throw new ArgumentException("One line number per row.", nameof(lines));
        var built = new Builder(source, [.. header]);
        for (int r = 0; r < rows.Count; r++)
        {
            if (rows[r].Length != header.Count)
                throw new ArgumentException($"Row {r} has {rows[r].Length} cells for {header.Count} columns.", nameof(rows));
            built.Add(rows[r], lines[r]);
        }
        return built;
    }

    /// <summary>The rows read so far, column by column.</summary>
    private sealed class Builder(string source, string[] header)
    {
        public string Source { get; } = source;
        public string[] Header { get; } = header;
        public Column[] Columns { get; } = [.. header.Select(_ => new Column())];
        public ChunkedColumn<int> Lines { get; } = new();
        public int RowCount => Lines.Count;

        public void Add(string[] cells, int line)
        {
            if (RowCount == Array.MaxLength)
                throw new TimeSeriesDataException($"{Source} line {line}: more than {Array.MaxLength} rows.");
            for (int c = 0; c < cells.Length; c++)
            {
                if (!Columns[c].Add(cells[c], RowCount))
                    throw new TimeSeriesDataException($"{Source} line {line}, column '{Header[c]}': the column holds more than {TextColumn.MaxCharacters} characters of text.");
            }
            Lines.Add(line);
        }
    }

    /// <summary>
    /// One column's cells: a number per row where cells are numbers (NaN where not), the text cells in order, and, while both
    /// kinds occur, the index of each row's text cell (−1 for a number). Without numbers, row r is text cell r.
    /// </summary>
    private sealed class Column
    {
        private ChunkedColumn<double>? numbers;   // [rows] value of a number cell; null while no cell is a number
        private ChunkedColumn<int>? textOf;       // [rows] text cell of each row, −1 for a number; null while the column holds one kind
        private readonly TextColumn text = new();

        public long HeldBytes => (numbers?.HeldBytes ?? 0) + (textOf?.HeldBytes ?? 0) + (text.Count == 0 ? 0 : text.HeldBytes);

        /// <summary>Adds the cell of row <paramref name="row"/> (rows come in order); false when the text would not fit.</summary>
        public bool Add(string cell, int row)
        {
            if (IsCanonicalNumber(cell, out double value))
            {
                if (numbers is null)
                {
                    numbers = new ChunkedColumn<double>();
                    for (int r = 0; r < row; r++)
                        numbers.Add(double.NaN);
                    if (text.Count > 0)
                    {
                        textOf = new ChunkedColumn<int>();
                        for (int r = 0; r < row; r++)
                            textOf.Add(r);
                    }
                }
                numbers.Add(value);
                textOf?.Add(-1);
                return true;
            }
            if (!text.CanAdd(cell.Length))
                return false;
            if (numbers is not null)
            {
                if (textOf is null)
                {
                    textOf = new ChunkedColumn<int>();
                    for (int r = 0; r < row; r++)
                        textOf.Add(-1);
                }
                numbers.Add(double.NaN);
                textOf.Add(text.Count);
            }
            text.Add(cell);
            return true;
        }

        public string Cell(int row)
        {
            if (numbers is null)
                return text[row];
            int t = textOf is null ? -1 : textOf[row];
            return t < 0 ? numbers[row].ToString("R", CultureInfo.InvariantCulture) : text[t];
        }

        /// <summary>The cell of <paramref name="row"/>: its text, or its number written into <paramref name="buffer"/>.</summary>
        public ReadOnlySpan<char> Write(int row, Span<char> buffer)
        {
            if (numbers is null)
                return text.Span(row);
            int t = textOf is null ? -1 : textOf[row];
            if (t >= 0)
                return text.Span(t);
            numbers[row].TryFormat(buffer, out int length, "R", CultureInfo.InvariantCulture);
            return buffer[..length];
        }

        public bool IsNumber(int row, out double value)
        {
            value = 0;
            if (numbers is null || (textOf is not null && textOf[row] >= 0))
                return false;
            value = numbers[row];
            return true;
        }

        public void TrimExcess() => text.TrimExcess();

        /// <summary>True when <paramref name="cell"/> is a finite number that <c>ToString("R")</c> writes back exactly.</summary>
        private static bool IsCanonicalNumber(string cell, out double value)
        {
            value = 0;
            if (cell.Length is 0 or > 32 || !double.TryParse(cell, NumberStyles.Float, CultureInfo.InvariantCulture, out value)
                || !double.IsFinite(value))
                return false;
            Span<char> written = stackalloc char[32];
            return value.TryFormat(written, out int length, "R", CultureInfo.InvariantCulture) && written[..length].SequenceEqual(cell);
        }
    }

    /// <summary>The line numbers as a list.</summary>
    private sealed class LineList(ChunkedColumn<int> lines) : IReadOnlyList<int>
    {
        public int Count => lines.Count;

        public int this[int index] => (uint)index < (uint)Count ? lines[index] : throw new ArgumentOutOfRangeException(nameof(index));

        public IEnumerator<int> GetEnumerator()
        {
            for (int r = 0; r < Count; r++)
                yield return lines[r];
        }

        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
    }

    /// <summary>The rows as string arrays, made when read.</summary>
    private sealed class RowList(CsvTable table) : IReadOnlyList<string[]>
    {
        public int Count => table.RowCount;

        public string[] this[int index] => [.. Enumerable.Range(0, table.Columns.Count).Select(c => table.Cell(index, c))];

        public IEnumerator<string[]> GetEnumerator()
        {
            for (int r = 0; r < Count; r++)
                yield return this[r];
        }

        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
    }

    /// <summary>Parses one CSV line (quoted fields allowed) into its cells.</summary>
    public static string[] ParseLine(string line)
    {
        ArgumentNullException.ThrowIfNull(line);
        using var reader = new StringReader(line);
        using var parser = new CsvParser(reader, Configuration());
        return parser.Read() ? parser.Record ?? [] : [];
    }

    /// <summary>Writes a header and rows as CSV, quoting fields only where needed.</summary>
    public static void Write(TextWriter writer, IReadOnlyList<string> columns, IEnumerable<IReadOnlyList<string>> rows)
    {
        ArgumentNullException.ThrowIfNull(writer);
        using var csv = new CsvWriter(writer, Configuration(), leaveOpen: true);
        foreach (string column in columns)
            csv.WriteField(column);
        csv.NextRecord();
        foreach (var row in rows)
        {
            foreach (string cell in row)
                csv.WriteField(cell);
            csv.NextRecord();
        }
        csv.Flush();
    }

    private static CsvConfiguration Configuration() => new(CultureInfo.InvariantCulture)
    {
        HasHeaderRecord = false,
        DetectColumnCountChanges = false,
        BadDataFound = null,
        MissingFieldFound = null,
        IgnoreBlankLines = true,
        TrimOptions = TrimOptions.None,
        NewLine = "\n",
    };

    private static string FirstLine(string message)
    {
        int end = message.IndexOfAny(['\r', '\n']);
        return end < 0 ? message : message[..end];
    }
}
