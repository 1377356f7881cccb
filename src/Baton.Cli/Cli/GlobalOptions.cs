using System.CommandLine;

namespace Baton.Cli.Cli;

/// <summary>Options that every baton command accepts.</summary>
public static class GlobalOptions
{
    /// <summary>--json: human output to stderr, one JSON object as the last line on stdout.</summary>
    public static readonly Option<bool> Json = new("--json")
    {
        Description = "Write human output to stderr and one JSON object with the results as the last line on stdout.",
        Recursive = true,
    };

    /// <summary>--quiet: no progress output.</summary>
    public static readonly Option<bool> Quiet = new("--quiet", "-q")
    {
        Description = "Print no progress, only results.",
        Recursive = true,
    };

    /// <summary>--threads: the thread count for every kernel.</summary>
    public static readonly Option<int?> Threads = MakeThreads();

    private static Option<int?> MakeThreads()
    {
        var option = CliOptions.OptionalInt("--threads", "Number of threads (default: processor count; forecast and classify commands: 1). Results do not depend on it.", max: 1024);
        option.Recursive = true;
        return option;
    }
}
