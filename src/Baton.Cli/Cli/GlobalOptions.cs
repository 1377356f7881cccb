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

    /// <summary>
    /// Runs <paramref name="action"/> on one thread unless <c>--threads</c> was given: a forecaster's or classifier's matrices
    /// (a batch of 32, hidden 64) are too small for a second thread to pay for its per-step synchronisation, and on a busy
    /// machine that synchronisation dominates. Results do not depend on the thread count.
    /// </summary>
    public static int OneThreadUnlessAsked(ParseResult parse, Func<int> action)
    {
        if (parse.GetResult(Threads) is not null)
            return action();
        int saved = Baton.Numerics.Threads.Count;
        Baton.Numerics.Threads.Count = 1;
        try
        {
            return action();
        }
        finally
        {
            Baton.Numerics.Threads.Count = saved;
        }
    }
}
