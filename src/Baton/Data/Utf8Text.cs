using System.Text;

namespace Baton.Data;

/// <summary>Strict UTF-8 decoding that names the byte offset of the first problem.</summary>
internal static class Utf8Text
{
    /// <summary>
    /// Decodes <paramref name="bytes"/> into Unicode scalar values. Throws <see cref="InvalidDataException"/>
    /// naming <paramref name="source"/> and the byte offset of the first invalid sequence or NUL byte
    /// (a NUL byte means the file is binary, not text). A leading byte-order mark is skipped.
    /// </summary>
    public static Rune[] DecodeStrict(ReadOnlySpan<byte> bytes, string source)
    {
        // At most one rune per byte: one array of that size, trimmed once at the end (not at all for ASCII text).
        var runes = new Rune[bytes.Length];
        int count = 0;
        int offset = bytes.StartsWith("\uFEFF"u8) ? 3 : 0;
        while (offset < bytes.Length)
        {
            var status = Rune.DecodeFromUtf8(bytes[offset..], out Rune rune, out int consumed);
            if (status != System.Buffers.OperationStatus.Done)
                throw new InvalidDataException($"{source}: invalid UTF-8 at byte offset {offset} (byte 0x{bytes[offset]:X2}).");
            if (rune.Value == 0)
                throw new InvalidDataException($"{source}: NUL byte at byte offset {offset}; this looks like a binary file, not text.");
            runes[count++] = rune;
            offset += consumed;
        }
        if (count < runes.Length)
            Array.Resize(ref runes, count);
        return runes;
    }

    /// <summary>
    /// Opens a text input for one forward pass: "-" is standard input; any other path is opened for reading (a regular
    /// file, a FIFO or a device). A directory gives <see cref="InvalidDataException"/>, a missing path
    /// <see cref="FileNotFoundException"/>.
    /// </summary>
    public static Stream OpenRead(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (path == "-")
            return Console.OpenStandardInput();
        if (Directory.Exists(path))
            throw new InvalidDataException($"{path}: is a directory, not a text file.");
        if (!File.Exists(path))
            throw new FileNotFoundException($"{path}: no such file.", path);
        return new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 0, FileOptions.SequentialScan);
    }
}
