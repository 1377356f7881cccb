using System.Diagnostics;
using Baton.IO;
using Baton.Tests.Cli;

namespace Baton.Tests.IO;

public class AtomicFileTests
{
    private static readonly byte[] Content = "written by baton\n"u8.ToArray();

    [Fact]
    public void A_regular_file_is_replaced_whole_and_no_temporary_is_left()
    {
        using var dir = new TempDirectory();
        string path = dir.File("out.bin");
        File.WriteAllText(path, "an older and longer content than the new one");
        AtomicFile.Write(path, s => s.Write(Content));
        Assert.Equal(Content, File.ReadAllBytes(path));
        Assert.Equal(["out.bin"], Directory.EnumerateFileSystemEntries(dir.Path).Select(Path.GetFileName));
    }

    [Fact]
    public void A_symbolic_link_is_followed_so_the_target_is_replaced_and_the_link_stays_a_link()
    {
        using var dir = new TempDirectory();
        Directory.CreateDirectory(dir.File("real"));
        string target = dir.File("real/model.bin");
        File.WriteAllText(target, "old");
        string link = dir.File("link.bin");
        File.CreateSymbolicLink(link, target);
        AtomicFile.Write(link, s => s.Write(Content));
        Assert.Equal(target, new FileInfo(link).LinkTarget);
        Assert.Equal(Content, File.ReadAllBytes(target));
        Assert.Equal(["model.bin"], Directory.EnumerateFileSystemEntries(dir.File("real")).Select(Path.GetFileName));
    }

    [Fact]
    public void Dev_null_is_written_through_and_stays_a_device()
    {
        if (!OperatingSystem.IsLinux())
            return;
        AtomicFile.Write("/dev/null", s => s.Write(Content));
        Assert.Empty(File.ReadAllBytes("/dev/null"));
    }

    [Fact]
    public void A_full_device_fails_with_the_callers_path_and_is_not_replaced()
    {
        if (!OperatingSystem.IsLinux())
            return;
        var error = Assert.Throws<IOException>(() => AtomicFile.Write("/dev/full", s => s.Write(Content)));
        Assert.StartsWith("cannot write '/dev/full'", error.Message);
        // Still the device: it reads as zeros, where a replaced file would read back the content.
        var head = new byte[Content.Length];
        using (var device = File.OpenRead("/dev/full"))
            device.ReadExactly(head);
        Assert.All(head, b => Assert.Equal(0, b));
        Assert.Empty(Directory.EnumerateFiles("/dev", ".full.*"));
    }

    [Fact]
    public async Task A_fifo_is_written_through_to_its_reader()
    {
        if (!OperatingSystem.IsLinux())
            return;
        using var dir = new TempDirectory();
        string fifo = dir.File("pipe");
        using (var mkfifo = Process.Start("mkfifo", [fifo]))
            await mkfifo.WaitForExitAsync();
        var reader = Task.Run(() => File.ReadAllBytes(fifo));
        AtomicFile.Write(fifo, s => s.Write(Content));
        var finished = await Task.WhenAny(reader, Task.Delay(TimeSpan.FromSeconds(30)));
        Assert.True(finished == reader, "the reader never saw the write: the FIFO was replaced");
        Assert.Equal(Content, await reader);
        Assert.Equal(["pipe"], Directory.EnumerateFileSystemEntries(dir.Path).Select(Path.GetFileName));
    }

    [Fact]
    public void A_failed_write_names_the_callers_path_not_the_temporary_and_leaves_nothing()
    {
        using var dir = new TempDirectory();
        string path = dir.File("model.safetensors");
        File.WriteAllText(path, "previous");
        var error = Assert.Throws<IOException>(() => AtomicFile.Write(path, s =>
            throw new IOException($"No space left on device : '{((FileStream)s).Name}'")));
        Assert.Equal($"cannot write '{path}': No space left on device : '{path}'.", error.Message);
        Assert.Equal("previous", File.ReadAllText(path));
        Assert.Equal(["model.safetensors"], Directory.EnumerateFileSystemEntries(dir.Path).Select(Path.GetFileName));
    }

    [Fact]
    public void The_next_write_in_a_folder_removes_temporaries_of_ended_processes_and_keeps_those_of_running_ones()
    {
        using var dir = new TempDirectory();
        // pid_max is at most 2^22 on Linux, so no process has id 999999999.
        string dead = dir.File($".best.safetensors.999999999.{Guid.NewGuid():N}.tmp");
        string alive = dir.File($".best.safetensors.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp");
        string unrelated = dir.File(".notes.tmp");
        foreach (string file in new[] { dead, alive, unrelated })
            File.WriteAllText(file, "partial");
        AtomicFile.Write(dir.File("other.bin"), s => s.Write(Content));
        Assert.False(File.Exists(dead));
        Assert.True(File.Exists(alive));
        Assert.True(File.Exists(unrelated));
    }

    [Fact]
    public void Export_to_a_full_device_exits_1_naming_the_path()
    {
        if (!OperatingSystem.IsLinux())
            return;
        using var dir = new TempDirectory();
        var model = new Baton.Models.SequenceModel(ModelFileTests.SmallLm());
        string path = dir.File("m.safetensors");
        ModelFile.Save(model, path);
        var result = CliRunner.Run("export-onnx", "--model", path, "-o", "/dev/full");
        Assert.Equal(1, result.ExitCode);
        Assert.Contains("cannot write '/dev/full'", result.Stderr);
        Assert.DoesNotContain(".tmp", result.Stderr);
    }
}
