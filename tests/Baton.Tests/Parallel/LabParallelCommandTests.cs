using Baton.Tests.Cli;

namespace Baton.Tests.Parallel;

public class LabParallelCommandTests
{
    private const double DeerErrorBound = 1e-5;

    [Fact]
    public void Quick_run_reports_every_setting_with_converged_deer_and_writes_csv_and_png()
    {
        string dir = CliRunner.TempDir();
        var result = CliRunner.Run("lab", "parallel", "--quick", "--json", "--out", dir);
        Assert.True(result.ExitCode == 0, result.Stderr);
        var json = result.Json;
        var rows = json["results"]!.AsArray();
        Assert.Equal(4, rows.Count);   // T 64, 256 × H 8, 16
        foreach (var row in rows)
        {
            Assert.True(row!["gru_train_tok_s"]!.GetValue<double>() > 0);
            Assert.True(row["mingru_train_tok_s"]!.GetValue<double>() > 0);
            foreach (string variant in new[] { "quasi_deer", "damped_deer", "full_deer" })
            {
                var deer = row[variant]!;
                Assert.True(deer["converged"]!.GetValue<bool>(), $"{variant} T={row["T"]} H={row["H"]}");
                Assert.InRange(deer["max_abs_error"]!.GetValue<double>(), 0, DeerErrorBound);
                Assert.True(deer["iterations"]!.GetValue<int>() >= 1);
            }
        }
        Assert.Equal(2, json["crossovers"]!.AsArray().Count);
        string csv = File.ReadAllText(Path.Combine(dir, "parallel.csv"));
        Assert.Equal(5, csv.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
        byte[] png = File.ReadAllBytes(Path.Combine(dir, "parallel.png"));
        Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G' }, png[..4]);
    }

    [Fact]
    public void With_a_device_it_adds_the_accelerator_columns_with_converged_deer()
    {
        var result = CliRunner.Run("lab", "parallel", "--length", "8", "--hidden", "4", "--device", "emulate", "--eval-only", "--json");
        Assert.True(result.ExitCode == 0, result.Stderr);
        var json = result.Json;
        Assert.False(string.IsNullOrEmpty(json["accelerator"]!.GetValue<string>()));
        var row = json["results"]!.AsArray().Single()!;
        Assert.Null(row["gru_train_tok_s"]);
        var accelerator = row["accelerator"]!;
        Assert.True(accelerator["launch_per_step_tok_s"]!.GetValue<double>() > 0);
        Assert.True(accelerator["one_group_tok_s"]!.GetValue<double>() > 0);
        Assert.InRange(accelerator["sequential_max_abs_error"]!.GetValue<double>(), 0, DeerErrorBound);
        foreach (string variant in new[] { "quasi_deer", "damped_deer" })
        {
            Assert.True(accelerator[variant]!["converged"]!.GetValue<bool>(), variant);
            Assert.InRange(accelerator[variant]!["max_abs_error"]!.GetValue<double>(), 0, DeerErrorBound);
        }
        Assert.True(json["crossovers"]!.AsArray().Single()!.AsObject().ContainsKey("accelerator_quasi_deer_eval_from_T"));
    }

    [Fact]
    public void Asking_for_cuda_without_a_driver_is_a_one_line_error()
    {
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
        var result = CliRunner.Run("lab", "parallel", "--length", "8", "--hidden", "4", "--device", "cuda", "--eval-only");
        if (hasCuda)
        {
            Assert.True(result.ExitCode == 0, result.Stderr);
            return;
        }
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("--device cuda: No CUDA device", result.Stderr);
        Assert.DoesNotContain("   at ", result.Stderr);   // no stack trace
    }

    [Fact]
    public void Device_cpu_is_the_cpu_engine_alone_without_accelerator_columns()
    {
        var result = CliRunner.Run("lab", "parallel", "--length", "8", "--hidden", "4", "--device", "cpu", "--eval-only", "--json");
        Assert.True(result.ExitCode == 0, result.Stderr);
        Assert.Null(result.Json["accelerator"]);
        Assert.False(result.Json["results"]!.AsArray().Single()!.AsObject().ContainsKey("accelerator"));
    }

    [Fact]
    public void A_bad_device_is_a_usage_error()
    {
        var result = CliRunner.Run("lab", "parallel", "--quick", "--device", "tpu");
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("'tpu' not recognized", result.Stderr);
    }

    [Fact]
    public void A_bad_hidden_size_is_a_usage_error()
    {
        var result = CliRunner.Run("lab", "parallel", "--quick", "--hidden", "0");
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("--hidden", result.Stderr);
    }
}
