using Baton.Cli.Cli;
using Baton.Gpu;
using Baton.IO;
using Baton.Models;
using Baton.Numerics;
using Baton.Tests.Cli;
using Baton.Tests.IO;

namespace Baton.Tests.Gpu;

/// <summary>Step-by-step inference of a language model on the emulation against <see cref="SequenceModel.Step(SequenceStream, ReadOnlySpan{int})"/>.</summary>
public class GpuTokenStreamTests : IClassFixture<EmulatedDeviceFixture>
{
    /// <summary>max |a − b| / max |b| over each step's logits: the device trainer's bar.</summary>
    private const double Tolerance = 1e-4;

    private const int V = 11, Tokens = 12;

    private readonly GpuDevice device;

    public GpuTokenStreamTests(EmulatedDeviceFixture fixture) => device = fixture.Device;

    private static SequenceModel Model(string cell, int layers, ulong seed) => new(new ModelConfig
    {
        Task = "lm",
        Cell = cell,
        Layers = layers,
        Hidden = 7,
        Embedding = 5,
        OutputSize = V,
        Tokens = "chars",
        Vocab = Enumerable.Range(0, V).Select(i => i == 0 ? "\n" : ((char)('a' + i)).ToString()).ToArray(),
    }, new Rng(seed));

    private static double Error(ReadOnlySpan<float> actual, ReadOnlySpan<float> expected)
    {
        double scale = 0, diff = 0;
        for (int i = 0; i < expected.Length; i++)
        {
            scale = Math.Max(scale, Math.Abs(expected[i]));
            diff = Math.Max(diff, Math.Abs(actual[i] - expected[i]));
        }
        return diff / scale;
    }

    [Theory]
    [InlineData("lstm", 2)]
    [InlineData("gru", 1)]
    [InlineData("rnn_relu", 2)]
    public void Every_step_on_the_device_gives_the_cpu_streams_logits_and_reset_starts_over(string cell, int layers)
    {
        var model = Model(cell, layers, seed: 5);
        var cpu = model.CreateStream(1);
        using var stream = new GpuTokenStream(device, model);
        var rng = new Rng(9);
        var ids = Enumerable.Range(0, Tokens).Select(_ => rng.NextInt(V)).ToArray();
        float[]? first = null;
        foreach (int id in ids)
        {
            var expected = model.Step(cpu, [id]).ToArray();
            var actual = stream.Step(id);
            Assert.InRange(Error(actual, expected), 0, Tolerance);
            first ??= expected;
        }
        stream.Reset();
        Assert.InRange(Error(stream.Step(ids[0]), first!), 0, Tolerance);
    }

    [Fact]
    public void Sample_on_the_emulation_writes_the_cpu_engines_text()
    {
        using var dir = new TempDirectory();
        string path = dir.File("model.safetensors");
        ModelFile.Save(Model("gru", 2, seed: 4), path);
        string[] Args(string device) => ["sample", "--model", path, "--prime", "bcd", "--length", "24", "--temperature", "0.9", "--seed", "3", "--device", device, "--json"];
        var cpu = CliRunner.Run(Args("cpu"));
        Assert.True(cpu.ExitCode == 0, cpu.Stderr);
        var emulated = CliRunner.Run(Args("emulate"));
        Assert.True(emulated.ExitCode == 0, emulated.Stderr);
        Assert.Equal(24, cpu.Json["text"]!.GetValue<string>().Length);
        Assert.Equal(cpu.Json["text"]!.GetValue<string>(), emulated.Json["text"]!.GetValue<string>());
    }

    [Fact]
    public void Sample_refuses_a_model_the_device_does_not_run_in_one_line()
    {
        using var dir = new TempDirectory();
        string path = dir.File("model.safetensors");
        ModelFile.Save(Model("mingru", 1, seed: 4), path);
        var result = CliRunner.Run("sample", "--model", path, "--length", "3", "--device", "emulate");
        Assert.Equal(ExitCodes.BadInput, result.ExitCode);
        Assert.StartsWith("baton: error: --device emulate: The device stream runs", result.Stderr.Trim());
        Assert.Single(result.Stderr.Trim().Split('\n'));
    }

    [Fact]
    public void Score_on_the_emulation_gives_the_cpu_engines_cross_entropy_across_chunks()
    {
        using var dir = new TempDirectory();
        string path = dir.File("model.safetensors");
        ModelFile.Save(Model("lstm", 2, seed: 6), path);
        string text = dir.File("text.txt");
        var rng = new Rng(2);
        // Longer than one scoring chunk, so that the carried state between chunks is exercised.
        File.WriteAllText(text, new string(Enumerable.Range(0, Baton.Cli.Commands.ScoreCommand.Chunk + 37).Select(_ => (char)('b' + rng.NextInt(V - 1))).ToArray()));
        var cpu = CliRunner.Run("score", "--model", path, "--text", text, "--json");
        Assert.True(cpu.ExitCode == 0, cpu.Stderr);
        var emulated = CliRunner.Run("score", "--model", path, "--text", text, "--device", "emulate", "--json");
        Assert.True(emulated.ExitCode == 0, emulated.Stderr);
        double expected = cpu.Json["cross_entropy"]!.GetValue<double>(), actual = emulated.Json["cross_entropy"]!.GetValue<double>();
        Assert.InRange(Math.Abs(actual - expected) / expected, 0, Tolerance);
        Assert.Equal(cpu.Json["tokens"]!.GetValue<long>(), emulated.Json["tokens"]!.GetValue<long>());
    }
}
