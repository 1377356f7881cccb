using System.Text;
using System.Text.Json.Nodes;
using Baton.Cli.Cli;
using Baton.IO;
using Baton.Models;
using Baton.Numerics;
using Baton.Tests.Cli;

namespace Baton.Tests.IO;

/// <summary>Crafted model files: each is refused as a whole, naming what is wrong, by every command that reads a model, with exit 2.</summary>
public class ModelFileValidationTests
{
    /// <summary>A valid small language model's file with its config JSON passed through <paramref name="edit"/>.</summary>
    private static string Crafted(TempDirectory dir, Action<JsonObject> edit)
    {
        var model = new SequenceModel(ModelFileTests.SmallLm());
        model.ResetParameters(new Rng(1));
        var writer = ModelFile.CreateWriter(model);
        var config = JsonNode.Parse(writer.Metadata[ModelFile.ConfigKey])!.AsObject();
        edit(config);
        writer.Metadata[ModelFile.ConfigKey] = config.ToJsonString();
        string path = dir.File("crafted.safetensors");
        writer.Save(path);
        return path;
    }

    public static TheoryData<string, string, string> BadConfigs() => new()
    {
        { "layers", "10000000", "'layers': must be in [1, 256]" },
        { "embedding", "1e9", "embedding" },
        { "vocab", "null", "vocab" },
        { "tokens", "\"words\"", "unknown token unit 'words'" },
        { "wildow", "48", "'wildow': unknown key" },
        { "hidden", "4096", "the config describes" },
        { "vocab", "[\"a\", null, \"c\", \"d\", \"e\"]", "'vocab': entry 1 is null" },
        { "dropout", "\"NaN\"", "dropout" },
    };

    [Theory]
    [MemberData(nameof(BadConfigs))]
    public void A_crafted_config_is_refused_by_every_command_that_reads_a_model_with_one_line_and_exit_2(string key, string json, string expected)
    {
        using var dir = new TempDirectory();
        string path = Crafted(dir, config => config[key] = JsonNode.Parse(json));
        string text = dir.File("text.txt");
        File.WriteAllText(text, "abcd\nabcd\n");
        string[][] commands =
        [
            ["inspect", "--model", path],
            ["sample", "--model", path, "--length", "3"],
            ["score", "--model", path, "--text", text],
            ["export-onnx", "--model", path, "-o", dir.File("x.onnx")],
            ["lab", "gates", "--model", path, "--text", "abc", "--out", dir.File("gates")],
            ["train", "--data", text, "--resume", path, "--steps", "2", "--out", dir.File("run")],
            ["forecast", "predict", "--model", path, "--csv", text],
        ];
        foreach (string[] args in commands)
        {
            var result = CliRunner.Run(args);
            Assert.True(result.ExitCode == ExitCodes.BadInput, $"{string.Join(' ', args)}: exit {result.ExitCode}: {result.Stderr}");
            Assert.Single(result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
            if (args[0] != "forecast")
                Assert.Contains(expected, result.Stderr);
        }
        Assert.Equal(["crafted.safetensors", "text.txt"], Directory.EnumerateFileSystemEntries(dir.Path).Select(Path.GetFileName).Order());
    }

    [Fact]
    public void Invalid_utf8_in_the_header_is_refused_before_any_string_is_read()
    {
        using var dir = new TempDirectory();
        string path = Crafted(dir, _ => { });
        byte[] bytes = File.ReadAllBytes(path);
        int at = bytes.AsSpan().IndexOf("chars"u8); // the token unit inside the config string
        Assert.True(at > 8);
        bytes[at] = 0xFF; // 0xFF never occurs in UTF-8
        File.WriteAllBytes(path, bytes);
        foreach (string[] args in new[] { new[] { "inspect", "--model", path }, ["export-onnx", "--model", path, "-o", dir.File("x.onnx")] })
        {
            var result = CliRunner.Run(args);
            Assert.Equal(ExitCodes.BadInput, result.ExitCode);
            Assert.Contains("not valid UTF-8", result.Stderr);
        }
    }

    [Fact]
    public void A_valid_model_that_is_not_a_checkpoint_is_refused_by_resume_with_exit_2()
    {
        using var dir = new TempDirectory();
        string path = Crafted(dir, _ => { });
        string text = dir.File("text.txt");
        File.WriteAllText(text, string.Concat(Enumerable.Repeat("abcd\n", 200)));
        var result = CliRunner.Run("train", "--data", text, "--resume", path, "--steps", "2", "--out", dir.File("run"));
        Assert.Equal(ExitCodes.BadInput, result.ExitCode);
        Assert.Contains("not a training checkpoint", result.Stderr);
        Assert.False(Directory.Exists(dir.File("run")));
    }

    [Theory]
    [InlineData("feature_std", "[0, 1]", "feature_std")]
    [InlineData("target_std", "[-1]", "target_std")]
    [InlineData("feature_mean", "[1, \"Infinity\"]", "feature_mean")]
    [InlineData("horizon", "0", "horizon")]
    public void A_forecaster_config_with_unusable_scaling_or_horizon_is_refused_naming_the_field(string key, string json, string field)
    {
        var config = new ModelConfig
        {
            Task = "forecast", Cell = "gru", Hidden = 4, InputSize = 2, OutputSize = 3, Features = ["a", "b"], Targets = ["a"],
            Window = 8, Horizon = 3, FeatureMean = [0, 0], FeatureStd = [1, 1], TargetMean = [0], TargetStd = [1],
        };
        var node = JsonNode.Parse(config.ToJson())!.AsObject();
        ModelConfig.FromJson(node.ToJsonString()); // the unedited config is valid
        node[key] = JsonNode.Parse(json);
        var error = Assert.Throws<ModelConfigException>(() => ModelConfig.FromJson(node.ToJsonString()));
        Assert.Contains($"'{field}'", error.Message);
    }

    [Fact]
    public void Resume_refuses_options_that_contradict_the_checkpoint_and_steps_it_has_already_reached()
    {
        using var dir = new TempDirectory();
        string text = dir.File("text.txt");
        File.WriteAllText(text, string.Concat(Enumerable.Repeat("abcd efgh\n", 300)));
        string run = dir.File("run");
        var first = CliRunner.Run("train", "--data", text, "--hidden", "8", "--layers", "1", "--embedding", "4", "--seq-length", "16",
            "--batch", "4", "--steps", "4", "--eval-every", "2", "--out", run);
        Assert.True(first.ExitCode == 0, first.Stderr);
        string last = Path.Combine(run, "last.safetensors");
        var before = File.ReadAllBytes(last);

        var contradicting = CliRunner.Run("train", "--data", text, "--resume", last, "--hidden", "64", "--optimizer", "sgd", "--steps", "8", "--out", run);
        Assert.Equal(ExitCodes.BadInput, contradicting.ExitCode);
        Assert.Contains("--hidden 64 (the checkpoint has 8)", contradicting.Stderr);
        Assert.Contains("--optimizer sgd (the checkpoint has adam)", contradicting.Stderr);

        var tooFew = CliRunner.Run("train", "--data", text, "--resume", last, "--steps", "4", "--out", run);
        Assert.Equal(ExitCodes.BadInput, tooFew.ExitCode);
        Assert.Contains("--steps 4 is at or below the checkpoint's step 4", tooFew.Stderr);

        var same = CliRunner.Run("train", "--data", text, "--resume", last, "--hidden", "8", "--seq-length", "16", "--batch", "4", "--steps", "6", "--out", run);
        Assert.True(same.ExitCode == 0, same.Stderr);
        Assert.NotEqual(before, File.ReadAllBytes(last));
    }
}
