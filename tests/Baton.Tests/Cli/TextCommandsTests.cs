using System.Security.Cryptography;
using System.Text;
using Baton.Cli.Cli;

namespace Baton.Tests.Cli;

/// <summary>train → sample → score → inspect → resume, in-process on tiny data.</summary>
public class TextCommandsTests
{
    private static readonly string[] Tiny = ["--hidden", "8", "--layers", "1", "--embedding", "4", "--seq-length", "8", "--batch", "2", "--eval-every", "3", "--val-fraction", "0.2", "--threads", "1"];

    private static string WriteCorpus(string dir)
    {
        string path = Path.Combine(dir, "corpus.txt");
        var text = new StringBuilder();
        for (int i = 0; i < 30; i++)
            text.Append("我肚子饿了,我想去吃饭。hello 😀 e\u0301\n");
        File.WriteAllText(path, text.ToString(), new UTF8Encoding(false));
        return path;
    }

    private static CliRunner.Result Train(string data, string outDir, params string[] extra) =>
        CliRunner.Run(["train", "--data", data, "--out", outDir, "--json", "--quiet", .. Tiny, .. extra]);

    [Fact]
    public void Train_sample_score_and_inspect_work_together()
    {
        string dir = CliRunner.TempDir();
        string data = WriteCorpus(dir);
        string outDir = Path.Combine(dir, "run");
        var train = Train(data, outDir, "--steps", "6");
        Assert.True(train.ExitCode == 0, train.Stderr);
        var summary = train.Json;
        Assert.Equal(6, (int)summary["steps"]!);
        foreach (string file in new[] { "best.safetensors", "last.safetensors", "loss.png", "history.csv" })
            Assert.True(File.Exists(Path.Combine(outDir, file)), file);
        Assert.Equal(2, Directory.GetFiles(outDir, "step*-val*.safetensors").Length);

        string best = Path.Combine(outDir, "best.safetensors");
        var greedy1 = CliRunner.Run("sample", "--model", best, "--prime", "我肚子", "--length", "12", "--temperature", "0", "--json");
        var greedy2 = CliRunner.Run("sample", "--model", best, "--prime", "我肚子", "--length", "12", "--temperature", "0", "--json");
        Assert.True(greedy1.ExitCode == 0, greedy1.Stderr);
        Assert.Equal("我肚子", (string)greedy1.Json["prime"]!);
        Assert.Equal(12, ((string)greedy1.Json["text"]!).EnumerateRunes().Count());
        Assert.Equal(greedy1.LastLine, greedy2.LastLine);

        var score = CliRunner.Run("score", "--model", best, "--text", data, "--json");
        Assert.True(score.ExitCode == 0, score.Stderr);
        double ce = (double)score.Json["cross_entropy"]!;
        Assert.Equal(ce / Math.Log(2), (double)score.Json["bits_per_token"]!, 9);
        Assert.Equal(Math.Exp(ce), (double)score.Json["perplexity"]!, 9);
        Assert.Equal(30 * 23 - 1, (int)score.Json["tokens"]!); // 23 scalar values a line

        var inspect = CliRunner.Run("inspect", "--model", Path.Combine(outDir, "last.safetensors"), "--json");
        Assert.True(inspect.ExitCode == 0, inspect.Stderr);
        Assert.Equal(6, (int)inspect.Json["step"]!);
        int vocab = (int)inspect.Json["config"]!["output_size"]!;
        // embedding V·4 + LSTM 4·8·(4+8) + 2·4·8 + head 8·V + V
        Assert.Equal(vocab * 4 + 4 * 8 * 12 + 64 + 8 * vocab + vocab, (int)inspect.Json["total"]!);
    }

    [Fact]
    public void A_resumed_run_ends_bit_identical_to_an_uninterrupted_one()
    {
        string dir = CliRunner.TempDir();
        string data = WriteCorpus(dir);
        var full = Train(data, Path.Combine(dir, "full"), "--steps", "9");
        Assert.True(full.ExitCode == 0, full.Stderr);
        var part = Train(data, Path.Combine(dir, "part"), "--steps", "3");
        Assert.True(part.ExitCode == 0, part.Stderr);
        // A crash leaves a half-written temporary file beside the checkpoint; resuming ignores it.
        File.WriteAllBytes(Path.Combine(dir, "part", ".last.safetensors.123.tmp"), [1, 2, 3]);
        var resumed = Train(data, Path.Combine(dir, "part"), "--steps", "9", "--resume", Path.Combine(dir, "part", "last.safetensors"));
        Assert.True(resumed.ExitCode == 0, resumed.Stderr);
        Assert.Equal(Weights(Path.Combine(dir, "full", "best.safetensors")), Weights(Path.Combine(dir, "part", "best.safetensors")));
    }

    private static string Weights(string modelPath)
    {
        var model = Baton.IO.ModelFile.Load(modelPath);
        var bytes = new byte[model.Parameters.Data.Length * sizeof(float)];
        Buffer.BlockCopy(model.Parameters.Data, 0, bytes, 0, bytes.Length);
        return Convert.ToHexString(SHA256.HashData(bytes));
    }

    public static TheoryData<string, string[], string> BadInputs()
    {
        var data = new TheoryData<string, string[], string>();
        data.Add("missing file", ["train", "--data", "{dir}/nope.txt"], "does not exist");
        data.Add("a directory", ["train", "--data", "{dir}"], "is a directory");
        data.Add("empty file", ["train", "--data", "{dir}/empty.txt"], "is empty");
        data.Add("binary junk", ["train", "--data", "{dir}/junk.bin"], "byte offset");
        data.Add("invalid utf-8", ["train", "--data", "{dir}/latin1.txt"], "invalid UTF-8 at byte offset 3");
        data.Add("corpus shorter than a sequence", ["train", "--data", "{dir}/short.txt"], "too short");
        data.Add("hidden zero", ["train", "--hidden", "0"], "--hidden must be a whole number in [1, 65536] (got '0')");
        data.Add("hidden negative", ["train", "--hidden", "-3"], "--hidden must be a whole number in [1, 65536] (got '-3')");
        data.Add("unknown cell", ["train", "--cell", "transformer"], "transformer");
        data.Add("non-numeric number", ["train", "--steps", "ten"], "ten");
        data.Add("empty model file", ["sample", "--model", "{dir}/empty.txt"], "is empty");
        data.Add("truncated model file", ["sample", "--model", "{dir}/truncated.safetensors"], "truncated.safetensors");
        data.Add("not a model", ["score", "--model", "{dir}/latin1.txt", "--text", "{dir}/short.txt"], "latin1.txt");
        return data;
    }

    [Theory]
    [MemberData(nameof(BadInputs))]
    public void Bad_input_gives_one_line_exit_code_2_and_writes_nothing(string what, string[] args, string expected)
    {
        string dir = CliRunner.TempDir();
        File.WriteAllBytes(Path.Combine(dir, "empty.txt"), []);
        File.WriteAllBytes(Path.Combine(dir, "junk.bin"), [0x7F, 0x45, 0x4C, 0x46, 0x02, 0x01, 0x00, 0x00, 0xFF, 0xFE]);
        File.WriteAllBytes(Path.Combine(dir, "latin1.txt"), [(byte)'a', (byte)'b', (byte)'c', 0xE9, (byte)'t', (byte)'\n']);
        File.WriteAllText(Path.Combine(dir, "short.txt"), "abc\n");
        File.WriteAllBytes(Path.Combine(dir, "truncated.safetensors"), [0x40, 0, 0, 0, 0, 0, 0, 0, (byte)'{', (byte)'"']);
        string outDir = Path.Combine(dir, "out");
        string[] full = [.. args.Select(a => a.Replace("{dir}", dir)), "--out", outDir];
        if (args[0] != "train")
            full = full[..^2];
        var result = CliRunner.Run(full);
        Assert.True(result.ExitCode == ExitCodes.BadInput, $"{what}: exit {result.ExitCode}: {result.Stderr}");
        string[] lines = result.Stderr.Trim().Split('\n');
        Assert.True(lines.Length == 1, $"{what}: {result.Stderr}");
        Assert.Contains(expected, lines[0]);
        Assert.DoesNotContain(" at Baton", result.Stderr);
        Assert.False(Directory.Exists(outDir), $"{what}: wrote to --out");
    }
}
