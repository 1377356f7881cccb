namespace Baton.Data;

/// <summary>
/// Bad labelled-sequence input (a missing column, a non-numeric feature, a label that changes within a sequence, an
/// unreadable audio file, ...). The message is one line naming the file, line, column or sequence, so a tool can print it as is.
/// </summary>
internal sealed class SequenceDataException : Exception
{
    /// <summary>Creates the exception with its message on one line (a line break quoted from a cell becomes a space).</summary>
    public SequenceDataException(string message) : base(message.ReplaceLineEndings(" ")) { }
}
