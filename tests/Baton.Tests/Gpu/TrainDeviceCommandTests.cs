using Baton.Cli.Cli;
using Baton.Tests.Cli;
using Baton.Tests.IO;
using Baton.Training;

namespace Baton.Tests.Gpu;

/// <summary><c>baton train --device</c>: the choice, the refusals, and the emulated run against the CPU engine's.</summary>
public class TrainDeviceCommandTests
{
    /// <summary>The device trainer's bar against the CPU engine (the JSON rounds losses to 10⁻⁶, far inside it).</summary>
    private const double Tolerance = 1e-4;

    private static string[] Args(string text, string outDir, string device, int steps, params string[] more) =>
    [
        "train", "--data", text, "--hidden", "8", "--layers", "2", "--embedding", "4", "--seq-length", "8", "--batch", "3",
        "--steps", steps.ToString(System.Globalization.CultureInfo.InvariantCulture), "--eval-every", "3", "--out", outDir,
        "--device", device, "--json", .. more,
    ];

    private static string Text(TempDirectory dir)
    {
        string text = dir.File("text.txt");
        File.WriteAllText(text, string.Concat(Enumerable.Repeat("the cat sat on the mat; ", 60)));
        return text;
    }

    [Fact]
    public void Every_device_name_parses_and_prints_back_the_same()
    {
        var expected = new[] { ("cpu", ComputeDevice.Cpu), ("cuda", ComputeDevice.Cuda), ("emulate", ComputeDevice.Emulate) };
        Assert.Equal(expected.Select(e => e.Item1), ComputeDevices.Names);
        foreach (var (name, device) in expected)
        {
            Assert.True(ComputeDevices.TryParse(name, out var parsed));
            Assert.Equal(device, parsed);
            Assert.Equal(name, ComputeDevices.Name(device));
        }
        Assert.False(ComputeDevices.TryParse("gpu", out _));
        Assert.False(ComputeDevices.TryParse(null, out _));
    }

    [Fact]
    public void Training_on_cuda_without_a_driver_is_a_one_line_error_that_writes_nothing()
    {
        using var dir = new TempDirectory();
        bool hasCuda;
        try
        {
            using var device = Baton.Gpu.GpuDevice.Open(Baton.Gpu.GpuDeviceKind.Cuda);
            hasCuda = true;
        }
        catch (InvalidOperationException)
        {
            hasCuda = false;
        }
        string run = dir.File("run");
        var result = CliRunner.Run(Args(Text(dir), run, "cuda", 2));
        if (hasCuda)
        {
            Assert.True(result.ExitCode == 0, result.Stderr);
            return;
        }
        Assert.Equal(ExitCodes.BadInput, result.ExitCode);
        Assert.Equal("baton: error: --device cuda: No CUDA device was found (ILGPU looks for the NVIDIA driver's libcuda).", result.Stderr.Trim());
        Assert.False(Directory.Exists(run));
    }

    [Fact]
    public void A_model_the_device_cannot_train_yet_is_refused_naming_what()
    {
        using var dir = new TempDirectory();
        string run = dir.File("run");
        var result = CliRunner.Run(Args(Text(dir), run, "emulate", 2, "--dropout", "0.2"));
        Assert.Equal(ExitCodes.BadInput, result.ExitCode);
        Assert.Contains("--device emulate: the device trainer does not support dropout yet", result.Stderr);
        Assert.False(Directory.Exists(run));
    }

    [Fact]
    public void An_unknown_device_is_a_usage_error()
    {
        using var dir = new TempDirectory();
        var result = CliRunner.Run(Args(Text(dir), dir.File("run"), "tpu", 2));
        Assert.Equal(ExitCodes.BadInput, result.ExitCode);
        Assert.Contains("'tpu' not recognized", result.Stderr);
    }

    [Fact]
    public void An_emulated_run_reports_the_cpu_engines_losses_and_its_checkpoint_resumes_on_the_cpu()
    {
        using var dir = new TempDirectory();
        string text = Text(dir);
        var cpu = CliRunner.Run(Args(text, dir.File("cpu"), "cpu", 6));
        Assert.True(cpu.ExitCode == 0, cpu.Stderr);
        string emulatedDir = dir.File("emulate");
        var emulated = CliRunner.Run(Args(text, emulatedDir, "emulate", 3));
        Assert.True(emulated.ExitCode == 0, emulated.Stderr);
        Assert.Equal("emulate", emulated.Json["device"]!.GetValue<string>());

        var resumed = CliRunner.Run(Args(text, emulatedDir, "cpu", 6, "--resume", Path.Combine(emulatedDir, "last.safetensors")));
        Assert.True(resumed.ExitCode == 0, resumed.Stderr);
        foreach (string key in new[] { "train_loss", "val_loss" })
        {
            double expected = cpu.Json[key]!.GetValue<double>(), actual = resumed.Json[key]!.GetValue<double>();
            Assert.True(Math.Abs(actual - expected) <= Tolerance * expected, $"{key}: {actual} on emulate then cpu, {expected} on cpu alone");
        }
    }
}
