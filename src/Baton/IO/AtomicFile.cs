namespace Baton.IO;

/// <summary>
/// Writes a file so that readers see either the old complete file or the new complete file, never a
/// half-written one: the bytes go to a temporary file in the same directory, are flushed to the disk
/// (<c>Flush(true)</c>), and the temporary file is then renamed over the target.
/// </summary>
public static class AtomicFile
{
    /// <summary>Suffix of the temporary files (<c>model.safetensors.tmp-XXXXXXXX</c>); a crash may leave one behind, readers ignore it.</summary>
    public const string TempSuffix = ".tmp-";

    /// <summary>Writes <paramref name="path"/> atomically with the bytes that <paramref name="write"/> puts in the stream.</summary>
    public static void Write(string path, Action<Stream> write)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(write);
        string full = Path.GetFullPath(path);
        string dir = Path.GetDirectoryName(full) ?? ".";
        Directory.CreateDirectory(dir);
        string temp = full + TempSuffix + Guid.NewGuid().ToString("N")[..8];
        try
        {
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
            {
                write(stream);
                stream.Flush(flushToDisk: true);
            }
            File.Move(temp, full, overwrite: true);
        }
        catch
        {
            try { File.Delete(temp); } catch (IOException) { } catch (UnauthorizedAccessException) { }
            throw;
        }
    }
}
