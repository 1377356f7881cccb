namespace Baton.IO;

/// <summary>
/// A safetensors or Baton model file that cannot be used: truncated, corrupted, foreign, or holding
/// tensors that do not match what is expected. The message names the file and, where one is to blame,
/// the tensor or field.
/// </summary>
internal sealed class SafeTensorsFormatException : IOException
{
    /// <summary>Creates the exception; the message is prefixed with the file path and kept on one line (JSON quoted from
    /// the header may hold line breaks).</summary>
    public SafeTensorsFormatException(string filePath, string? tensorName, string message)
        : base(Format(filePath, tensorName, message))
    {
        FilePath = filePath;
        TensorName = tensorName;
    }

    /// <summary>The file at fault.</summary>
    public string FilePath { get; }

    /// <summary>The tensor (or metadata field) at fault, if any.</summary>
    public string? TensorName { get; }

    private static string Format(string filePath, string? tensorName, string message) =>
        (tensorName is null ? $"{filePath}: {message}" : $"{filePath}: tensor '{tensorName}': {message}").ReplaceLineEndings(" ");
}
