using System.Globalization;
using System.Text;
using Baton.Cli.Cli;
using Baton.Data;
using Baton.Numerics;
using Baton.Tests.Cli;
using Baton.Tests.IO;

namespace Baton.Tests.Gpu;

/// <summary><c>baton forecast train --device</c> and <c>baton classify train --device</c>: the emulated run against the CPU's, and the refusals.</summary>
public class TaskDeviceCommandTests
{
    /// <summary>The device trainer's bar against the CPU engine.</summary>
    private const double Tolerance = 1e-4;

    private static string EnergyCsv(TempDirectory dir)
    {
        var writer = new StringWriter();
        TimeSeriesGenerator.Energy(seed: 11, rows: 200).WriteCsv(writer);
        string path = dir.File("energy.csv");
        File.WriteAllText(path, writer.ToString());
        return path;
    }

    private static CliRunner.Result Forecast(string csv, string outDir, string device, params string[] more) => CliRunner.Run(
    [
        "forecast", "train", "--csv", csv, "--target", "load", "--features", "temperature", "--window", "12", "--horizon", "3",
        "--hidden", "8", "--steps", "8", "--batch", "16", "--base", "naive", "--out", outDir, "--device", device, "--json", .. more,
    ]);

    /// <summary>A long-format CSV of 48 sequences of 3–8 steps: "rise" climbs, "fall" drops, "flat" stays.</summary>
    private static string Trends(TempDirectory dir)
    {
        var rng = new Rng(4);
        string[] classes = ["rise", "fall", "flat"];
        var text = new StringBuilder("seq,step,value,kind\n");
        for (int s = 0; s < 48; s++)
        {
            int label = s % 3, steps = 3 + rng.NextInt(6);
            for (int t = 0; t < steps; t++)
                text.Append(CultureInfo.InvariantCulture, $"s{s},{t},{(label == 0 ? t : label == 1 ? -t : 0) + 0.3 * rng.NextNormal():F4},{classes[label]}\n");
        }
        string path = dir.File("trends.csv");
        File.WriteAllText(path, text.ToString());
        return path;
    }

    private static CliRunner.Result Classify(string csv, string outDir, string device, params string[] more) => CliRunner.Run(
    [
        "classify", "train", "--csv", csv, "--id", "seq", "--label", "kind", "--time", "step", "--hidden", "6", "--epochs", "3",
        "--batch", "8", "--out", outDir, "--device", device, "--json", .. more,
    ]);

    private static void AssertClose(CliRunner.Result device, CliRunner.Result cpu, params string[] keys)
    {
        Assert.Equal("emulate", device.Json["device"]!.GetValue<string>());
        Assert.Equal("cpu", cpu.Json["device"]!.GetValue<string>());
        foreach (string key in keys)
        {
            double expected = cpu.Json[key]!.GetValue<double>(), actual = device.Json[key]!.GetValue<double>();
            Assert.True(Math.Abs(actual - expected) <= Tolerance * Math.Abs(expected), $"{key}: {actual} on emulate, {expected} on cpu");
        }
    }

    [Fact]
    public void An_emulated_forecast_run_reports_the_cpu_engines_losses_and_test_scores()
    {
        using var dir = new TempDirectory();
        string csv = EnergyCsv(dir);
        var cpu = Forecast(csv, dir.File("cpu"), "cpu");
        Assert.True(cpu.ExitCode == 0, cpu.Stderr);
        var emulated = Forecast(csv, dir.File("emulate"), "emulate");
        Assert.True(emulated.ExitCode == 0, emulated.Stderr);
        AssertClose(emulated, cpu, "train_loss", "validation_loss");
        double expected = cpu.Json["test"]!["mae"]!.GetValue<double>(), actual = emulated.Json["test"]!["mae"]!.GetValue<double>();
        Assert.True(Math.Abs(actual - expected) <= Tolerance * expected, $"test MAE {actual} on emulate, {expected} on cpu");
    }

    [Fact]
    public void An_emulated_classify_run_reports_the_cpu_engines_losses_and_accuracy()
    {
        using var dir = new TempDirectory();
        string csv = Trends(dir);
        var cpu = Classify(csv, dir.File("cpu"), "cpu");
        Assert.True(cpu.ExitCode == 0, cpu.Stderr);
        var emulated = Classify(csv, dir.File("emulate"), "emulate");
        Assert.True(emulated.ExitCode == 0, emulated.Stderr);
        AssertClose(emulated, cpu, "train_loss", "validation_loss");
        Assert.Equal(cpu.Json["test"]!["accuracy"]!.GetValue<double>(), emulated.Json["test"]!["accuracy"]!.GetValue<double>());
    }

    [Fact]
    public void A_bidirectional_classifier_on_the_device_is_refused_in_one_line_before_anything_is_written()
    {
        using var dir = new TempDirectory();
        string run = dir.File("run");
        var result = Classify(Trends(dir), run, "emulate", "--bidirectional");
        Assert.Equal(ExitCodes.BadInput, result.ExitCode);
        Assert.Equal("baton: error: --device emulate: the device trainer does not support bidirectional layers yet; use --device cpu.", result.Stderr.Trim());
        Assert.False(Directory.Exists(run));
    }

    [Fact]
    public void A_minlstm_forecaster_on_the_device_is_refused_in_one_line_before_anything_is_written()
    {
        using var dir = new TempDirectory();
        string run = dir.File("run");
        var result = Forecast(EnergyCsv(dir), run, "emulate", "--cell", "minlstm");
        Assert.Equal(ExitCodes.BadInput, result.ExitCode);
        Assert.Equal("baton: error: --device emulate: the device trainer does not support the minlstm cell (lstm, gru, rnn, rnn_relu, mingru) yet; use --device cpu.",
            result.Stderr.Trim());
        Assert.False(Directory.Exists(run));
    }
}
