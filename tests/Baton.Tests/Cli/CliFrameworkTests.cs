using Baton.Cli.Cli;

namespace Baton.Tests.Cli;

public class CliFrameworkTests
{
    [Fact]
    public void An_unknown_command_is_a_usage_error_with_one_line()
    {
        var result = CliRunner.Run("no-such-command");
        Assert.Equal(ExitCodes.BadInput, result.ExitCode);
        Assert.Single(result.Stderr.Trim().Split('\n'));
        Assert.Contains("no-such-command", result.Stderr);
        Assert.DoesNotContain("   at ", result.Stderr);
    }

    [Fact]
    public void A_non_numeric_thread_count_names_the_option()
    {
        var result = CliRunner.Run("--threads", "many", "bench");
        Assert.Equal(ExitCodes.BadInput, result.ExitCode);
        Assert.Contains("--threads", result.Stderr);
        Assert.Contains("many", result.Stderr);
    }

    [Fact]
    public void A_zero_thread_count_is_rejected()
    {
        var result = CliRunner.Run("bench", "--threads", "0");
        Assert.Equal(ExitCodes.BadInput, result.ExitCode);
        Assert.Contains("--threads must be a whole number in [1, 1024] (got '0')", result.Stderr);
    }

    [Fact]
    public void Help_lists_the_commands_and_exits_zero()
    {
        var result = CliRunner.Run("--help");
        Assert.Equal(ExitCodes.Ok, result.ExitCode);
        Assert.Contains("lab", result.Stdout);
    }

    [Fact]
    public void Plots_write_a_png_atomically()
    {
        string dir = CliRunner.TempDir();
        string path = Path.Combine(dir, "curve.png");
        double[] x = [1, 2, 3, 4];
        Plots.Lines(path, "t", "x", "y", [new Plots.Series("a", x, [1, 0.1, 0.01, 0.001])], logY: true, width: 320, height: 200);
        byte[] png = File.ReadAllBytes(path);
        Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G' }, png[..4]);
        // IHDR width and height, big-endian at bytes 16..23.
        Assert.Equal(320, System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(16)));
        Assert.Equal(200, System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(20)));
        Assert.Single(Directory.GetFiles(dir));
    }

    [Fact]
    public void Json_results_write_nan_and_infinity_as_null_and_list_where_they_were()
    {
        var result = new System.Text.Json.Nodes.JsonObject
        {
            ["loss"] = double.NaN,
            ["ok"] = 1.5,
            ["runs"] = new System.Text.Json.Nodes.JsonArray(new System.Text.Json.Nodes.JsonObject { ["ppl"] = float.PositiveInfinity }, 2.0),
        };
        var paths = new List<string>();
        Output.ReplaceNonFinite(result, "$", paths);
        Assert.Equal(["$.loss", "$.runs[0].ppl"], paths);
        Assert.Equal("""{"loss":null,"ok":1.5,"runs":[{"ppl":null},2]}""", result.ToJsonString());
    }
}
