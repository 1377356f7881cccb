using System.Buffers.Binary;
using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text.RegularExpressions;

namespace Baton.IO;

/// <summary>
/// Writes files so that a reader never sees a half-written one, and respects what the path names:
/// <list type="bullet">
/// <item>a regular file (or a path that does not exist yet) is replaced atomically: the content goes to a temporary file
/// <c>.NAME.&lt;pid&gt;.&lt;guid&gt;.tmp</c> in the same folder, is flushed to disk, then renamed over the destination;</item>
/// <item>a symbolic link is followed and its final target replaced, so the link stays a link;</item>
/// <item>a device (<c>/dev/null</c>, <c>/dev/full</c>), a FIFO, a socket, anything under <c>/dev</c> or <c>/proc</c>
/// (<c>/dev/stdout</c>) and <c>-</c> (standard output) are written through, never replaced.</item>
/// </list>
/// A failed write throws an <see cref="IOException"/> that names the caller's path, not the temporary one. Temporaries
/// left by killed runs (their process no longer exists) are deleted by the next write into the same folder.
/// </summary>
internal static partial class AtomicFile
{
    /// <summary>Writes <paramref name="path"/> with <paramref name="write"/>, atomically where the target is a regular file.</summary>
    public static void Write(string path, Action<Stream> write)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(write);
        if (path == "-")
        {
            WriteThrough(path, Console.OpenStandardOutput, write);
            return;
        }
        string full = Path.GetFullPath(path);
        if (WritesThrough(full))
        {
            WriteThrough(path, () => new FileStream(full, FileMode.Open, FileAccess.Write, FileShare.ReadWrite), write);
            return;
        }
        if (new FileInfo(full).LinkTarget is not null && File.ResolveLinkTarget(full, returnFinalTarget: true) is { } target)
            full = target.FullName;
        Replace(path, full, write);
    }

    /// <summary>Writes <paramref name="text"/> as UTF-8 (no BOM), atomically where the target is a regular file.</summary>
    public static void WriteAllText(string path, string text) =>
        Write(path, s =>
        {
            var bytes = new System.Text.UTF8Encoding(false).GetBytes(text);
            s.Write(bytes);
        });

    private static void Replace(string path, string full, Action<Stream> write)
    {
        string dir = Path.GetDirectoryName(full)!;
        string temp = Path.Combine(dir, $".{Path.GetFileName(full)}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp");
        try
        {
            Directory.CreateDirectory(dir);
            RemoveStaleTemporaries(dir);
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None))
            {
                write(stream);
                stream.Flush(flushToDisk: true);
            }
            File.Move(temp, full, overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            TryDelete(temp);
            throw Failure(path, e, temp);
        }
        catch
        {
            TryDelete(temp);
            throw;
        }
    }

    private static void WriteThrough(string path, Func<Stream> open, Action<Stream> write)
    {
        try
        {
            using var stream = open();
            write(stream);
            stream.Flush();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw Failure(path, e, null);
        }
    }

    /// <summary>An IOException naming the caller's path, with the reason and without the temporary's name.</summary>
    private static IOException Failure(string path, Exception e, string? temp)
    {
        string reason = e is UnauthorizedAccessException ? "permission denied" : e.Message;
        if (temp is not null)
            reason = reason.Replace(temp, path, StringComparison.Ordinal);
        return new IOException($"cannot write '{path}': {reason.ReplaceLineEndings(" ").TrimEnd('.')}.", e);
    }

    /// <summary>True for targets that must be written in place: devices, FIFOs, sockets, and paths under /dev or /proc.</summary>
    private static bool WritesThrough(string full)
    {
        if (!File.Exists(full))
            return false;
        if (IsSpecialFile(full))
            return true;
        string final = new FileInfo(full).LinkTarget is not null && File.ResolveLinkTarget(full, returnFinalTarget: true) is { } target
            ? target.FullName : full;
        return OperatingSystem.IsLinux() && (UnderSystemFolder(full) || UnderSystemFolder(final));
    }

    private static bool UnderSystemFolder(string path) =>
        path.StartsWith("/dev/", StringComparison.Ordinal) || path.StartsWith("/proc/", StringComparison.Ordinal);

    /// <summary>Whether stat(2) (following links) calls <paramref name="path"/> a character or block device, a FIFO or a socket.</summary>
    private static unsafe bool IsSpecialFile(string path)
    {
        if (!OperatingSystem.IsLinux())
            return false;
        // struct stat's st_mode: after st_dev, st_ino, st_nlink on x86-64; after st_dev, st_ino on arm64.
        int offset = RuntimeInformation.ProcessArchitecture switch
        {
            Architecture.X64 => 24,
            Architecture.Arm64 => 16,
            _ => -1,
        };
        if (offset < 0)
            return false;
        byte* buffer = stackalloc byte[256];
        try
        {
            if (Stat(path, buffer) != 0)
                return false;
        }
        catch (EntryPointNotFoundException)
        {
            return false;
        }
        uint type = BinaryPrimitives.ReadUInt32LittleEndian(new ReadOnlySpan<byte>(buffer + offset, 4)) & 0xF000;
        return type is 0x2000 or 0x6000 or 0x1000 or 0xC000; // S_IFCHR, S_IFBLK, S_IFIFO, S_IFSOCK
    }

    [DllImport("libc", EntryPoint = "stat", SetLastError = true)]
    private static extern unsafe int Stat([MarshalAs(UnmanagedType.LPUTF8Str)] string path, byte* buffer);

    [GeneratedRegex(@"^\..+\.(\d+)\.[0-9a-f]{32}\.tmp$")]
    private static partial Regex TemporaryName();

    /// <summary>Deletes this writer's temporaries in <paramref name="dir"/> whose process has ended (a killed run's).</summary>
    private static void RemoveStaleTemporaries(string dir)
    {
        foreach (string file in Directory.EnumerateFiles(dir, ".*.tmp"))
        {
            var match = TemporaryName().Match(Path.GetFileName(file));
            if (match.Success && int.TryParse(match.Groups[1].ValueSpan, out int pid) && pid != Environment.ProcessId && !IsRunning(pid))
                TryDelete(file);
        }
    }

    private static bool IsRunning(int pid)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    }

    private static void TryDelete(string path)
    {
        try { File.Delete(path); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }
}
