namespace Baton.Data;

/// <summary>
/// Bad time-series input (a missing column, a non-numeric cell, too few rows, ...). The message is one
/// line that names the file, the line and the column where they are known, so a tool can print it as is.
/// </summary>
internal sealed class TimeSeriesDataException : Exception
{
    /// <summary>Creates the exception with its message on one line (a line break quoted from a cell becomes a space).</summary>
    public TimeSeriesDataException(string message) : base(message.ReplaceLineEndings(" ")) { }
}
