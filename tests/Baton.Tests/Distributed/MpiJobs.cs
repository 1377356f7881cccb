using System.Diagnostics;
using System.Text.Json.Nodes;

namespace Baton.Tests.Distributed;

/// <summary>Starts processes under Open MPI's mpirun on this machine, and reads what they wrote.</summary>
public static class MpiJobs
{
    /// <summary>What one mpirun job did.</summary>
    public sealed record Outcome(int ExitCode, string Stdout, string Stderr)
    {
        /// <summary>The JSON object on the last line of stdout (nothing else may share the line).</summary>
        public JsonNode Json => JsonNode.Parse(Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Last())!;
    }

    /// <summary>The built `baton` tool, copied beside the tests.</summary>
    public static string CliDll => Path.Combine(AppContext.BaseDirectory, "Baton.Cli.dll");

    /// <summary>The test assembly, whose entry point is <see cref="MpiProbe"/>.</summary>
    public static string TestDll => typeof(MpiProbe).Assembly.Location;

    /// <summary>mpirun on the PATH; fails the test, naming the install script, when Open MPI is missing.</summary>
    public static string Mpirun()
    {
        foreach (string dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries))
        {
            string candidate = Path.Combine(dir, "mpirun");
            if (File.Exists(candidate))
                return candidate;
        }
        Assert.Fail("mpirun is not installed: run tools/ci/install-mpi.sh (Open MPI from Debian; .ci/run does this in CI).");
        return "";
    }

    /// <summary><c>dotnet dll args</c> as one MPMD part of an mpirun command line: <c>-np N dotnet dll args</c>.</summary>
    public static string[] Part(int ranks, string dll, params string[] args) =>
        ["-np", ranks.ToString(System.Globalization.CultureInfo.InvariantCulture), DotNet, dll, .. args];

    /// <summary>Runs mpirun with the MPMD <paramref name="parts"/> joined by ':' (several ranks on 2 cores: --oversubscribe).</summary>
    public static Outcome Run(params string[][] parts)
    {
        var start = new ProcessStartInfo(Mpirun())
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string arg in new[] { "--allow-run-as-root", "--oversubscribe", "--bind-to", "none" })
            start.ArgumentList.Add(arg);
        for (int i = 0; i < parts.Length; i++)
        {
            if (i > 0)
                start.ArgumentList.Add(":");
            foreach (string arg in parts[i])
                start.ArgumentList.Add(arg);
        }
        // Containers forbid the cross-memory attach that Open MPI's shared-memory transport tries first.
        start.Environment["OMPI_MCA_btl_vader_single_copy_mechanism"] = "none";
        // More ranks than cores: a rank waiting in a collective yields its core instead of spinning.
        start.Environment["OMPI_MCA_mpi_yield_when_idle"] = "1";
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromSeconds(120)))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"mpirun did not finish in 120 s: {string.Join(' ', start.ArgumentList)}");
        }
        return new Outcome(process.ExitCode, stdout.Result, stderr.Result);
    }

    private static string DotNet => Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host ? host : "dotnet";
}
