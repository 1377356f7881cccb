using System.Text.Json;
using Baton.Bench;
using Baton.Lab.Bench;
using Baton.Lab.Bench.Rows;
using Baton.Layers;
using Baton.Numerics;

namespace Baton.Tests.Bench;

public class BenchHarnessTests
{
    private static (int Exit, string Out, string Err) Run(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int exit = BenchProgram.Run(args, stdout, stderr);
        return (exit, stdout.ToString(), stderr.ToString());
    }

    [Fact]
    public void Without_names_the_harness_lists_the_standard_set_and_the_implemented_rows()
    {
        var (exit, output, _) = Run();
        Assert.Equal(0, exit);
        foreach (string name in BenchRegistry.StandardNames)
            Assert.Contains(name, output);
        Assert.Contains("recurrent-step-m64-h1024", output);
        Assert.Contains("cache-read", output);
    }

    [Fact]
    public void Json_output_has_one_object_per_row_with_the_documented_fields()
    {
        var (exit, output, _) = Run("recurrent-step-m1-h64", "sgemm-512", "--json", "--repeat", "1", "--threads", "1");
        Assert.Equal(0, exit);
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2, lines.Length);
        foreach (string line in lines)
        {
            using var doc = JsonDocument.Parse(line);
            var root = doc.RootElement;
            foreach (string field in new[] { "name", "median_ms", "gflops", "tok_s", "us_per_step", "threads", "simd", "cpu" })
                Assert.True(root.TryGetProperty(field, out _), $"{field} missing in {line}");
            Assert.Equal(SimdPaths.Describe(SimdPaths.Best), root.GetProperty("simd").GetString());
            Assert.False(string.IsNullOrWhiteSpace(root.GetProperty("cpu").GetString()));
            Assert.True(root.GetProperty("median_ms").GetDouble() > 0);
            Assert.True(root.GetProperty("gflops").GetDouble() > 0);
            Assert.Equal(JsonValueKind.Null, root.GetProperty("tok_s").ValueKind);
            Assert.Equal(1, root.GetProperty("threads").GetInt32());
            Assert.False(root.TryGetProperty("error", out _));
        }
    }

    [Fact]
    public void Text_output_opens_with_the_cpu_and_simd_path_and_names_the_path_on_every_row()
    {
        var (exit, output, _) = Run("sgemm-512", "--repeat", "1", "--threads", "1");
        Assert.Equal(0, exit);
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2, lines.Length);
        string simd = SimdPaths.Describe(SimdPaths.Best);
        Assert.StartsWith("Baton.Bench on ", lines[0]);
        Assert.Contains($"SIMD path {simd};", lines[0]);
        Assert.Contains(BenchResult.MachineCpu, lines[0]);
        Assert.EndsWith($"simd={simd}", lines[1].TrimEnd());
    }

    [Fact]
    public void A_row_on_an_accelerator_names_it_in_json_and_text_and_a_cpu_row_has_no_device()
    {
        var gpu = new BenchResult("gpu-row", 1.5, null, null, null, 1, Device: "emulate: CPUAccelerator");
        using var doc = JsonDocument.Parse(gpu.ToJson());
        Assert.Equal("emulate: CPUAccelerator", doc.RootElement.GetProperty("device").GetString());
        Assert.Contains("device=emulate: CPUAccelerator", gpu.ToText());
        using var cpu = JsonDocument.Parse(new BenchResult("cpu-row", 1.5, null, null, null, 1).ToJson());
        Assert.False(cpu.RootElement.TryGetProperty("device", out _));
    }

    [Fact]
    public void A_row_that_is_not_implemented_reports_an_error_and_no_figures()
    {
        var result = BenchRunner.Measure(BenchProgram.Registry, "row-without-an-implementation", 1);
        using var doc = JsonDocument.Parse(result.ToJson());
        Assert.Equal("row-without-an-implementation", doc.RootElement.GetProperty("name").GetString());
        Assert.Equal("not implemented yet", doc.RootElement.GetProperty("error").GetString());
        Assert.Equal(JsonValueKind.Null, doc.RootElement.GetProperty("median_ms").ValueKind);
        Assert.Equal(JsonValueKind.Null, doc.RootElement.GetProperty("gflops").ValueKind);
    }

    [Theory]
    [InlineData("no-such-row")]
    [InlineData("sgemm-512", "--threads", "0")]
    [InlineData("sgemm-512", "--bogus")]
    public void Usage_errors_exit_with_2(params string[] args)
    {
        var (exit, output, error) = Run(args);
        Assert.Equal(2, exit);
        Assert.Equal("", output);
        Assert.NotEqual("", error);
    }

    /// <summary>A row that logs each run under its name; <paramref name="fail"/> makes its preparation throw.</summary>
    private sealed class LoggingRow(string name, List<string> log, bool fail = false) : IBenchRow
    {
        public string Name => name;

        public string Description => "logs its runs";

        public BenchWork Prepare()
        {
            if (fail)
                throw new InvalidOperationException("no such device");
            return new BenchWork(() =>
            {
                log.Add(name);
                Thread.Sleep(25);
            });
        }
    }

    /// <summary>
    /// Interleaved rows: every row warms up before any is sampled, then the samples alternate row by row (each sample one
    /// run here, as a run lasts longer than the 20 ms a sample needs); the results come in the order asked, a row that fails to
    /// prepare or is missing reports its error without stopping the others.
    /// </summary>
    [Fact]
    public void Interleaved_rows_are_sampled_in_turn_after_every_warm_up()
    {
        var log = new List<string>();
        string[] names = ["a", "broken", "b", "missing"];
        IBenchRow?[] rows = [new LoggingRow("a", log), new LoggingRow("broken", log, fail: true), new LoggingRow("b", log), null];
        var results = BenchRunner.MeasureInterleaved(names, rows, repeat: 3);

        Assert.Equal(names, results.Select(r => r.Name));
        Assert.True(results[0].MedianMs > 10);
        Assert.True(results[2].MedianMs > 10);
        Assert.Contains("no such device", results[1].Error);
        Assert.Equal("not implemented yet", results[3].Error);
        // The warm-up runs each row at least twice and for a second, a's before b's; the last six runs are the samples.
        Assert.True(log.Take(log.Count - 6).SkipWhile(n => n == "a").All(n => n == "b"));
        Assert.Equal(["a", "b", "a", "b", "a", "b"], log.TakeLast(6));
    }

    [Fact]
    public void A_training_row_reports_the_memory_its_step_holds_beside_the_least_bptt_needs()
    {
        const int B = 3, T = 16, I = 8, H = 12, L = 2;
        var result = BenchRunner.Measure(new RecurrentRows.TrainRow("tiny-lstm", CellKind.Lstm, B, T, I, H, L), 1);
        using var doc = JsonDocument.Parse(result.ToJson());
        var root = doc.RootElement;
        Assert.False(root.TryGetProperty("error", out _));

        // Parameters and gradients: per layer 4H·(I_l + H) weights and 2·4H biases; BPTT keeps i, f, g, o, c and h per token
        // and layer, the last layer's h in the caller's y (not counted).
        long parameters = 4 * H * (I + H) + 8 * H + 4 * H * (H + H) + 8 * H;
        long minimum = sizeof(float) * (2 * parameters + (long)T * B * (L * 6 - 1) * H);
        Assert.Equal(minimum / 1e6, root.GetProperty("min_mb").GetDouble(), 6);
        double peak = root.GetProperty("peak_mb").GetDouble();
        // The step holds at least what BPTT must keep (the layers cache more than i, f, g, o, c, h), and less than three times it.
        Assert.InRange(peak, minimum / 1e6, 3 * minimum / 1e6);
        Assert.Contains("peak", result.ToText());

        // The figure is counted from what the step owns, so a second measurement (after other work has come and gone) gives the same bytes.
        var again = BenchRunner.Measure(new RecurrentRows.TrainRow("tiny-lstm", CellKind.Lstm, B, T, I, H, L), 1);
        Assert.Equal(result.PeakMegabytes, again.PeakMegabytes);
    }

    [Theory]
    // Two LSTM layers: layer 0 forward 4H(I + H), weight gradients as much, 4H·H through the recurrence; layer 1 the same
    // with I = H plus 4H·H for the input gradient the layer below needs.
    [InlineData("lstm", 4 * 12 * (2 * (8 + 12) + 12) + 4 * 12 * (2 * (12 + 12) + 12 + 12))]
    // minGRU: no recurrent product; layer 1 adds its input gradient.
    [InlineData("mingru", 2 * 12 * (2 * 8) + 2 * 12 * (2 * 12 + 12))]
    public void A_training_row_counts_the_flops_of_the_products_its_step_computes(string cellName, int multiplyAddsPerToken)
    {
        const int B = 3, T = 16, I = 8, H = 12, L = 2;
        Assert.True(CellKinds.TryParse(cellName, out var cell, out _));
        var work = new RecurrentRows.TrainRow("tiny", cell, B, T, I, H, L).Prepare();
        Assert.Equal(2.0 * B * T * multiplyAddsPerToken, work.Flops);
    }

    [Fact]
    public void Stream_and_sgemm_rows_leave_the_memory_fields_out()
    {
        var (exit, output, _) = Run("sgemm-512", "--json", "--repeat", "1", "--threads", "1");
        Assert.Equal(0, exit);
        Assert.DoesNotContain("peak_mb", output);
        Assert.DoesNotContain("min_mb", output);
    }

    [Fact]
    public void The_onnx_runtime_twin_of_a_stream_row_runs_the_same_model_and_reports_microseconds_per_step()
    {
        // Prepare refuses to time the row unless a few ONNX Runtime steps leave the state Baton's steps leave.
        var (exit, output, error) = Run("stream-lstm-128-ort", "--json", "--repeat", "1", "--threads", "1");
        Assert.True(exit == 0, error + output);
        using var doc = JsonDocument.Parse(output.Trim());
        var root = doc.RootElement;
        Assert.Equal("stream-lstm-128-ort", root.GetProperty("name").GetString());
        Assert.True(root.GetProperty("us_per_step").GetDouble() > 0);
        Assert.Equal(1, root.GetProperty("threads").GetInt32());
        Assert.False(root.TryGetProperty("error", out _));
        Assert.NotNull(BenchProgram.Registry.Find("stream-lstm-512x2-ort"));
        Assert.NotNull(BenchProgram.Registry.Find("stream-gru-512x2-ort"));
    }
}
