using System.Diagnostics;
using System.Text;

namespace Baton.Tests.Cli;

/// <summary>Text read in one pass: standard input and FIFOs give what the file gives.</summary>
public class StreamingInputTests
{
    private static readonly string[] Tiny = ["--hidden", "8", "--layers", "1", "--embedding", "4", "--seq-length", "8", "--batch", "2", "--eval-every", "3", "--val-fraction", "0.2", "--threads", "1", "--steps", "3", "--json", "--quiet"];

    private static string Corpus()
    {
        var text = new StringBuilder();
        for (int i = 0; i < 30; i++)
            text.Append("我肚子饿了,我想去吃饭。hello 😀 e\u0301\n");
        return text.ToString();
    }

    [Fact]
    public async Task Score_reads_standard_input_and_a_fifo_exactly_as_it_reads_the_file()
    {
        string dir = CliRunner.TempDir();
        string data = Path.Combine(dir, "corpus.txt");
        string text = Corpus();
        File.WriteAllText(data, text, new UTF8Encoding(false));
        var train = CliRunner.Run(["train", "--data", data, "--out", Path.Combine(dir, "run"), .. Tiny]);
        Assert.True(train.ExitCode == 0, train.Stderr);
        string model = Path.Combine(dir, "run", "best.safetensors");

        var fromFile = CliRunner.Run("score", "--model", model, "--text", data, "--json");
        Assert.True(fromFile.ExitCode == 0, fromFile.Stderr);
        Assert.Equal(30 * 23 - 1, (long)fromFile.Json["tokens"]!); // more than two chunks of 256 tokens
        var fromStdin = CliRunner.RunWithInput(text, "score", "--model", model, "--text", "-", "--json");
        Assert.True(fromStdin.ExitCode == 0, fromStdin.Stderr);
        Assert.Equal((double)fromFile.Json["cross_entropy"]!, (double)fromStdin.Json["cross_entropy"]!);
        Assert.Equal(30 * 23 - 1, (long)fromStdin.Json["tokens"]!);

        if (!OperatingSystem.IsLinux())
            return;
        string fifo = Path.Combine(dir, "pipe");
        using (var mkfifo = Process.Start("mkfifo", fifo))
            await mkfifo.WaitForExitAsync();
        var writer = Task.Run(() => File.WriteAllText(fifo, text, new UTF8Encoding(false)));
        var fromFifo = await Task.Run(() => CliRunner.Run("score", "--model", model, "--text", fifo, "--json"));
        await writer;
        Assert.True(fromFifo.ExitCode == 0, fromFifo.Stderr);
        Assert.Equal((double)fromFile.Json["cross_entropy"]!, (double)fromFifo.Json["cross_entropy"]!);
    }

    [Fact]
    public void Training_on_standard_input_matches_training_on_the_file()
    {
        string dir = CliRunner.TempDir();
        string data = Path.Combine(dir, "corpus.txt");
        string text = Corpus();
        File.WriteAllText(data, text, new UTF8Encoding(false));
        var fromFile = CliRunner.Run(["train", "--data", data, "--out", Path.Combine(dir, "a"), .. Tiny]);
        var fromStdin = CliRunner.RunWithInput(text, ["train", "--data", "-", "--out", Path.Combine(dir, "b"), .. Tiny]);
        Assert.True(fromFile.ExitCode == 0, fromFile.Stderr);
        Assert.True(fromStdin.ExitCode == 0, fromStdin.Stderr);
        Assert.Equal((double)fromFile.Json["train_loss"]!, (double)fromStdin.Json["train_loss"]!);
        Assert.Equal((double)fromFile.Json["val_loss"]!, (double)fromStdin.Json["val_loss"]!);
    }

    [Fact]
    public void Empty_standard_input_is_refused_as_empty()
    {
        string dir = CliRunner.TempDir();
        var result = CliRunner.RunWithInput("", "train", "--data", "-", "--out", Path.Combine(dir, "run"));
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("-: the file is empty", result.Stderr);
    }
}
