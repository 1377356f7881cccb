using Baton.Cli;

namespace Baton.Tests.Cli;

/// <summary>Runs baton in-process and captures its streams.</summary>
public static class CliRunner
{
    /// <summary>The outcome of one invocation.</summary>
    public sealed record Result(int ExitCode, string Stdout, string Stderr)
    {
        /// <summary>The last non-empty line of stdout (the JSON object under --json).</summary>
        public string LastLine => Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).LastOrDefault()?.Trim() ?? "";

        /// <summary>Parses <see cref="LastLine"/> as JSON.</summary>
        public System.Text.Json.Nodes.JsonNode Json => System.Text.Json.Nodes.JsonNode.Parse(LastLine)
            ?? throw new InvalidOperationException("stdout ended with no JSON");
    }

    /// <summary>Runs <c>baton args...</c> with an optional stdin text.</summary>
    public static Result Run(params string[] args) => RunWithInput(null, args);

    /// <summary>Runs <c>baton args...</c> feeding <paramref name="input"/> on stdin.</summary>
    public static Result RunWithInput(string? input, params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int code = BatonCli.Run(args, stdout, stderr, new StringReader(input ?? ""));
        return new Result(code, stdout.ToString(), stderr.ToString());
    }

    /// <summary>A fresh empty temporary folder.</summary>
    public static string TempDir()
    {
        string dir = Path.Combine(Path.GetTempPath(), "baton-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        return dir;
    }
}
