using System.CommandLine;
using System.Globalization;
using Baton.Lab.Bench;
using Baton.Cli.Cli;

namespace Baton.Cli.Commands;

/// <summary>`baton bench`: the standard benchmark set, the rows of Baton.Lab through the same harness as bench/Baton.Bench (which adds the ONNX Runtime rows).</summary>
internal static class BenchCommand
{
    private static readonly Argument<string[]> Names = new("rows") { Description = "Rows to run (e.g. lstm-small sgemm-1024); none lists them", Arity = ArgumentArity.ZeroOrMore };
    private static readonly Option<bool> Interleave = new("--interleave")
    {
        Description = "Prepare every row first, then take their samples in turn, so that ratios between rows hold while the machine's speed drifts",
    };

    private static readonly Option<int> Repeat = CliOptions.Int("--repeat", "Timed runs per row (the median is reported)", BenchHarness.DefaultRepeat, max: 1000);

    public static Command Create()
    {
        var command = new Command("bench", """
            Run rows of the standard benchmark set: warm-up, then the median of repeated runs.
            With --json, one JSON object per row per line: {"name","median_ms","gflops","tok_s","us_per_step","threads"}.

            Examples:
              baton bench
              baton bench lstm-small gru-small sgemm-1024 --threads 2 --json
              baton bench mingru-512 gru-512 --interleave --repeat 15
            """);
        command.Arguments.Add(Names);
        command.Options.Add(Repeat);
        command.Options.Add(Interleave);
        command.SetAction(parse =>
        {
            var args = new List<string>(parse.GetValue(Names) ?? []);
            args.AddRange(["--repeat", parse.GetValue(Repeat).ToString(CultureInfo.InvariantCulture)]);
            if (parse.GetValue(GlobalOptions.Json))
                args.Add("--json");
            if (parse.GetValue(Interleave))
                args.Add("--interleave");
            return BenchHarness.Run(BenchRegistry.Lab, [.. args], CliContext.Out, CliContext.Err);
        });
        return command;
    }
}
