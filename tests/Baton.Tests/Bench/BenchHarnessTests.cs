using System.Text.Json;
using Baton.Bench;

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
            foreach (string field in new[] { "name", "median_ms", "gflops", "tok_s", "us_per_step", "threads" })
                Assert.True(root.TryGetProperty(field, out _), $"{field} missing in {line}");
            Assert.True(root.GetProperty("median_ms").GetDouble() > 0);
            Assert.True(root.GetProperty("gflops").GetDouble() > 0);
            Assert.Equal(JsonValueKind.Null, root.GetProperty("tok_s").ValueKind);
            Assert.Equal(1, root.GetProperty("threads").GetInt32());
            Assert.False(root.TryGetProperty("error", out _));
        }
    }

    [Fact]
    public void A_row_that_is_not_implemented_reports_an_error_and_no_figures()
    {
        var result = BenchRunner.Measure("row-without-an-implementation", 1);
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
}
