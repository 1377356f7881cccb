using System.Globalization;
using CsvHelper;
using CsvHelper.Configuration;

namespace Baton.Data;

/// <summary>
/// A CSV file as text: a header of column names and rows of raw cells, each row with the file line
/// it came from. Parsing follows RFC 4180 (quoted fields, doubled quotes) with the invariant culture,
/// so a decimal point is '.' whatever the machine's culture.
/// </summary>
internal sealed class CsvTable
{
    private readonly Dictionary<string, int> columnIndex;

    /// <summary>Creates a table; <paramref name="lines"/> gives the file line (1-based) of each row.</summary>
    public CsvTable(string source, IReadOnlyList<string> columns, IReadOnlyList<string[]> rows, IReadOnlyList<int> lines)
    {
        ArgumentNullException.ThrowIfNull(columns);
        ArgumentNullException.ThrowIfNull(rows);
        ArgumentNullException.ThrowIfNull(lines);
        if (rows.Count != lines.Count)
            throw new ArgumentException("One line number per row.", nameof(lines));
        Source = source;
        Columns = columns;
        Rows = rows;
        Lines = lines;
        columnIndex = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int c = 0; c < columns.Count; c++)
        {
            if (!columnIndex.TryAdd(columns[c], c))
                throw new TimeSeriesDataException($"{source}: the header names column '{columns[c]}' twice.");
        }
    }

    /// <summary>Where the table came from (a file name), used in error messages.</summary>
    public string Source { get; }

    /// <summary>Column names from the header, in file order.</summary>
    public IReadOnlyList<string> Columns { get; }

    /// <summary>Rows of raw cells, one per column.</summary>
    public IReadOnlyList<string[]> Rows { get; }

    /// <summary>File line (1-based, the header is line 1) where each row starts.</summary>
    public IReadOnlyList<int> Lines { get; }

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

    /// <summary>Reads CSV text with a header line; <paramref name="source"/> names it in error messages.</summary>
    public static CsvTable Read(TextReader reader, string source)
    {
        ArgumentNullException.ThrowIfNull(reader);
        using var parser = new CsvParser(reader, Configuration(), leaveOpen: true);
        string[]? header = null;
        var rows = new List<string[]>();
        var lines = new List<int>();
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
                if (header is null)
                {
                    header = [.. record.Select(name => name.Trim())];
                    continue;
                }
                if (record.Length != header.Length)
                    throw new TimeSeriesDataException(
                        $"{source} line {line}: {record.Length} fields, but the header has {header.Length}.");
                rows.Add(record);
                lines.Add(line);
            }
        }
        catch (CsvHelperException e)
        {
            throw new TimeSeriesDataException($"{source} line {nextLine}: not valid CSV ({FirstLine(e.Message)}).");
        }
        if (header is null)
            throw new TimeSeriesDataException($"{source}: empty file (a header line is needed).");
        return new CsvTable(source, header, rows, lines);
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
