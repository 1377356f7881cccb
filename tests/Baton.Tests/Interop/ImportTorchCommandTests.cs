using Baton.IO;
using Baton.Tests.Cli;
using static Baton.Tests.Interop.TorchImportTests;

namespace Baton.Tests.Interop;

/// <summary><c>baton import-torch</c> and <c>baton export-onnx</c> end to end, and their bad input.</summary>
public sealed class ImportTorchCommandTests
{
    /// <summary>`baton score` cross-entropy (float32) against PyTorch's float64: |baton - torch| / (1 + torch).</summary>
    private const double LossTolerance = 1e-5;

    [Fact]
    public void Import_then_export_writes_a_model_and_an_onnx_file_and_reports_them_as_json()
    {
        string dir = CliRunner.TempDir();
        string model = Path.Combine(dir, "model.safetensors"), onnx = Path.Combine(dir, "model.onnx");
        var import = CliRunner.Run("import-torch", Golden("lm_lstm_2l.safetensors"), "--cell", "lstm",
            "--vocab", Golden("lm_lstm_2l.vocab.json"), "-o", model, "--json");
        Assert.True(import.ExitCode == 0, import.Stderr);
        Assert.Equal(2, import.Json["layers"]!.GetValue<int>());
        Assert.Equal(24, import.Json["hidden"]!.GetValue<int>());
        Assert.Equal(8, import.Json["embedding"]!.GetValue<int>());

        var export = CliRunner.Run("export-onnx", "--model", model, "-o", onnx, "--json");
        Assert.True(export.ExitCode == 0, export.Stderr);
        Assert.Equal(["tokens", "h0", "c0"], export.Json["inputs"]!.AsArray().Select(n => n!.GetValue<string>()));
        using var session = InteropTestModels.Session(File.ReadAllBytes(onnx));
        Assert.Contains("logits", session.OutputMetadata.Keys);
        Directory.Delete(dir, recursive: true);
    }

    [Theory]
    [InlineData("lm_lstm_2l", "lstm")]
    [InlineData("lm_rnn_2l", "rnn")]
    public void Imported_model_is_accepted_by_sample_score_and_inspect_with_pytorch_results(string name, string cell)
    {
        using var expected = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Golden(name + ".json")));
        var root = expected.RootElement;
        string dir = CliRunner.TempDir();
        string model = Path.Combine(dir, "model.safetensors"), text = Path.Combine(dir, "text.txt");
        Assert.Equal(0, CliRunner.Run("import-torch", Golden(name + ".safetensors"), "--cell", cell,
            "--vocab", Golden(name + ".vocab.json"), "-o", model).ExitCode);

        var sample = CliRunner.Run("sample", "--model", model, "--prime", root.GetProperty("prime").GetString()!,
            "--length", root.GetProperty("steps").GetInt32().ToString(), "--temperature", "0", "--json");
        Assert.True(sample.ExitCode == 0, sample.Stderr);
        Assert.Equal(root.GetProperty("greedy").GetString(), sample.Json["text"]!.GetValue<string>());

        File.WriteAllText(text, root.GetProperty("text").GetString()!);
        var score = CliRunner.Run("score", "--model", model, "--text", text, "--json");
        Assert.True(score.ExitCode == 0, score.Stderr);
        double loss = score.Json["cross_entropy"]!.GetValue<double>(), torchLoss = root.GetProperty("loss").GetDouble();
        Assert.True(Math.Abs(loss - torchLoss) <= LossTolerance * (1 + torchLoss), $"score {loss} vs PyTorch {torchLoss}");

        var inspect = CliRunner.Run("inspect", "--model", model, "--json");
        Assert.True(inspect.ExitCode == 0, inspect.Stderr);
        Directory.Delete(dir, recursive: true);
    }

    [Fact]
    public void Export_of_an_lstm_with_projection_fails_with_exit_code_2_and_names_the_reason()
    {
        string dir = CliRunner.TempDir();
        string model = Path.Combine(dir, "proj.safetensors"), onnx = Path.Combine(dir, "proj.onnx");
        Assert.Equal(0, CliRunner.Run("import-torch", Golden("lm_lstm_proj.safetensors"), "--cell", "lstm",
            "--vocab", Golden("lm_lstm_proj.vocab.json"), "-o", model).ExitCode);
        var export = CliRunner.Run("export-onnx", "--model", model, "-o", onnx);
        Assert.Equal(2, export.ExitCode);
        Assert.Contains("proj_size = 12", export.Stderr);
        Assert.False(File.Exists(onnx));
        Directory.Delete(dir, recursive: true);
    }

    public static TheoryData<string, string, string> BadStateDicts => new()
    {
        // case, tensor named in the message, a phrase of the message
        { "missing", "rnn.bias_hh_l1", "missing" },
        { "extra", "rnn.weight_ih_l0.extra", "unexpected tensor" },
        { "inconsistent", "head.weight", "columns, expected 24" },
        { "unknown_layout", "rnn.weight_ih_l0", "not the layout of DESIGN.md's module" },
        { "wrong_cell", "rnn.weight_hh_l0", "looks like lstm weights" },
        { "rank", "rnn.weight_hh_l0", "expected 2 dimensions" },
    };

    [Theory]
    [MemberData(nameof(BadStateDicts))]
    public void Bad_state_dict_is_refused_with_exit_code_2_and_one_line_naming_the_tensor(string kind, string tensor, string phrase)
    {
        string dir = CliRunner.TempDir();
        string state = Path.Combine(dir, kind + ".safetensors"), model = Path.Combine(dir, "model.safetensors");
        var source = SafeTensorsFile.Read(Golden("lm_lstm_2l.safetensors"));
        var writer = new SafeTensorsWriter();
        foreach (var info in source.Tensors)
        {
            float[] values = source.ReadFloat32(info.Name);
            switch (kind)
            {
                case "missing" when info.Name == "rnn.bias_hh_l1":
                    continue;
                case "inconsistent" when info.Name == "head.weight":
                    writer.AddFloat32(info.Name, [19, 20], values[..(19 * 20)]);
                    continue;
                case "unknown_layout":
                    writer.AddFloat32("model." + info.Name, info.IntShape, values);
                    continue;
                case "rank" when info.Name == "rnn.weight_hh_l0":
                    writer.AddFloat32(info.Name, [96, 24, 1], values);
                    continue;
            }
            writer.AddFloat32(info.Name, info.IntShape, values);
        }
        if (kind == "extra")
            writer.AddFloat32("rnn.weight_ih_l0.extra", [2], [1f, 2f]);
        writer.Save(state);

        string cell = kind == "wrong_cell" ? "gru" : "lstm";
        var result = CliRunner.Run("import-torch", state, "--cell", cell, "--vocab", Golden("lm_lstm_2l.vocab.json"), "-o", model);
        Assert.Equal(2, result.ExitCode);
        string line = Assert.Single(result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains($"'{tensor}'", line);
        Assert.Contains(phrase, line);
        Assert.False(File.Exists(model));
        Directory.Delete(dir, recursive: true);
    }

    [Fact]
    public void Vocabulary_of_the_wrong_size_is_refused_with_exit_code_2()
    {
        string dir = CliRunner.TempDir();
        string vocab = Path.Combine(dir, "vocab.json");
        File.WriteAllText(vocab, "[\"a\", \"b\", \"c\"]");
        var result = CliRunner.Run("import-torch", Golden("lm_gru_1l.safetensors"), "--cell", "gru", "--vocab", vocab,
            "-o", Path.Combine(dir, "model.safetensors"));
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("'embedding.weight'", result.Stderr);
        Assert.Contains("vocabulary has 3 tokens", result.Stderr);
        Directory.Delete(dir, recursive: true);
    }
}
