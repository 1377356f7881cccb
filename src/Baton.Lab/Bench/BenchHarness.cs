using System.Globalization;
using Baton.Numerics;

namespace Baton.Lab.Bench;

/// <summary>
/// The benchmark command line, shared by <c>dotnet run --project bench/Baton.Bench</c> and <c>baton bench</c>:
/// <c>NAME... [--threads N] [--json] [--repeat N] [--interleave]</c>. Without names it lists the rows.
/// With <c>--json</c> each row prints one JSON object on its own line of stdout.
/// </summary>
public static class BenchHarness
{
    /// <summary>Samples per row unless <c>--repeat</c> says otherwise.</summary>
    public const int DefaultRepeat = 7;

    /// <summary>Runs the harness over the rows of <paramref name="registry"/>; returns 0 when every row ran, 1 when one failed, 2 on a usage error.</summary>
    public static int Run(BenchRegistry registry, string[] args, TextWriter stdout, TextWriter stderr)
    {
        ArgumentNullException.ThrowIfNull(registry);
        var names = new List<string>();
        bool json = false, interleave = false;
        int repeat = DefaultRepeat;
        int? threads = null;
        for (int i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--json":
                    json = true;
                    break;
                case "--interleave":
                    interleave = true;
                    break;
                case "--threads" or "--repeat":
                    if (i + 1 >= args.Length || !int.TryParse(args[i + 1], NumberStyles.None, CultureInfo.InvariantCulture, out int value) || value < 1)
                    {
                        stderr.WriteLine($"bench: {args[i]} needs a positive integer.");
                        return 2;
                    }
                    if (args[i] == "--threads") threads = value; else repeat = value;
                    i++;
                    break;
                case "--help" or "-h":
                    PrintUsage(registry, stdout);
                    return 0;
                default:
                    if (args[i].StartsWith('-'))
                    {
                        stderr.WriteLine($"bench: unknown option {args[i]}.");
                        return 2;
                    }
                    names.Add(args[i]);
                    break;
            }
        }
        if (names.Count == 0)
        {
            PrintUsage(registry, stdout);
            return 0;
        }
        var selected = registry.Expand(names, out var unknown);
        if (unknown.Count > 0)
        {
            stderr.WriteLine($"bench: unknown row(s): {string.Join(", ", unknown)}. Run without names for the list.");
            return 2;
        }
        int previousThreads = Threads.Count;
        if (threads is { } t)
            Threads.Count = t;
        try
        {
            bool allRan = true;
            // The header names the machine and SIMD path; with --json it goes to stderr, so stdout stays one object a line.
            (json ? stderr : stdout).WriteLine(BenchResult.Header(Threads.Count));
            var results = interleave ? BenchRunner.MeasureInterleaved(registry, selected, repeat) : null;
            for (int i = 0; i < selected.Count; i++)
            {
                var result = results?[i] ?? BenchRunner.Measure(registry, selected[i], repeat);
                stdout.WriteLine(json ? result.ToJson() : result.ToText());
                stdout.Flush();
                allRan &= result.Error is null || result.Error == "not implemented yet";
            }
            return allRan ? 0 : 1;
        }
        finally
        {
            Threads.Count = previousThreads;
        }
    }

    private static void PrintUsage(BenchRegistry registry, TextWriter output)
    {
        output.WriteLine("usage: bench NAME... [--threads N] [--json] [--repeat N] [--interleave]   (baton bench, or dotnet run --project bench/Baton.Bench --)");
        output.WriteLine("  NAME: a row, a family prefix (recurrent-step), or all");
        output.WriteLine("  --interleave: prepare every row, then sample them in turn, so their ratios hold while the machine's speed drifts");
        output.WriteLine();
        foreach (string name in BenchRegistry.StandardNames.Where(n => registry.Find(n) is null))
            output.WriteLine($"  {name,-28} (not implemented yet)");
        foreach (var row in registry.Rows)
            output.WriteLine($"  {row.Name,-28} {row.Description}");
    }
}
