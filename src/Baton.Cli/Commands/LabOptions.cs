using Baton.Cli.Cli;
using Baton.Lab;
using Baton.Layers;

namespace Baton.Cli.Commands;

/// <summary>Parsing shared by the <c>baton lab</c> commands: comma lists of lengths and cells.</summary>
internal static class LabOptions
{
    /// <summary>The longest sequence a lab command accepts.</summary>
    public const int MaxLength = 1_000_000;

    /// <summary>Parses "50,100,200" into positive lengths, in the order given, without duplicates.</summary>
    public static int[] ParseLengths(string text, string option)
    {
        var values = new List<int>();
        foreach (string part in text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            if (!CliOptions.TryInt(part, option, 2, MaxLength, out int value, out string error))
                throw new CliError(error);
            if (!values.Contains(value))
                values.Add(value);
        }
        if (values.Count == 0)
            throw new CliError($"{option}: give at least one length.");
        return values.ToArray();
    }

    /// <summary>Parses "rnn,lstm,gru" into known cell names.</summary>
    public static string[] ParseCells(string text)
    {
        var cells = text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).Distinct().ToArray();
        if (cells.Length == 0)
            throw new CliError("--cell: give at least one cell.");
        foreach (string cell in cells)
            if (!CellKinds.Names.Contains(cell))
                throw new CliError($"--cell: unknown cell '{cell}' (expected {CellKinds.NameList}).");
        return cells;
    }
}
