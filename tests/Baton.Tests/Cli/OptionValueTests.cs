using System.CommandLine;
using System.CommandLine.Help;
using System.Globalization;
using Baton.Cli;
using Baton.Cli.Cli;

namespace Baton.Tests.Cli;

/// <summary>
/// Every option of every command, found by walking the command tree, meets hostile values: each is refused at parse time
/// with one line that names the option (exit 2, no stack trace, nothing written), or it is a value the option's range
/// admits and is read as exactly that number. Accepted values are parsed, not run: a run at full size would take minutes.
/// </summary>
public class OptionValueTests
{
    private static readonly string[] Hostile = ["abc", "", "1.5", "-1", "0", "NaN", "Infinity", "1,5", "1e99", "2147483648", "0x10"];

    /// <summary>Every leaf command's path and the options it accepts, its own and those recursive from above.</summary>
    private static IEnumerable<(string[] Path, Command Command, Option[] Options)> Leaves(Command root)
    {
        var pending = new Stack<(string[] Path, Command Command, Option[] Inherited)>();
        pending.Push(([], root, []));
        while (pending.Count > 0)
        {
            var (path, command, inherited) = pending.Pop();
            var options = inherited.Concat(command.Options).Where(o => o is not HelpOption and not VersionOption).Distinct().ToArray();
            if (command.Subcommands.Count == 0)
                yield return (path, command, options);
            foreach (var sub in command.Subcommands)
                pending.Push(([.. path, sub.Name], sub, options.Where(o => o.Recursive).ToArray()));
        }
    }

    [Fact]
    public void Every_option_of_every_command_refuses_a_bad_value_with_one_line_or_reads_a_good_one_exactly()
    {
        var root = BatonCli.BuildRoot();
        var leaves = Leaves(root).ToArray();
        Assert.True(leaves.Length >= 15, $"the walk found only {leaves.Length} commands");
        string saved = Directory.GetCurrentDirectory();
        string dir = CliRunner.TempDir();
        Directory.SetCurrentDirectory(dir);
        var failures = new List<string>();
        int refused = 0, accepted = 0;
        try
        {
            foreach (var (path, command, options) in leaves)
            {
                foreach (var option in options)
                {
                    // Required options other than the one under test get a value, so that the value under test decides the outcome.
                    string[] required = options.Where(o => o.Required && o != option).SelectMany(o => new[] { o.Name, "missing.safetensors" }).ToArray();
                    foreach (string value in Hostile)
                    {
                        string[] args = [.. path, .. command.Arguments.Select(_ => "missing.pt"), .. required, option.Name, value];
                        string shown = string.Join(' ', args.Select(a => a == "" ? "\"\"" : a));
                        var parse = root.Parse(args);
                        if (parse.Errors.Count == 0)
                        {
                            accepted++;
                            if (ReadBack(parse, option, value) is { } wrong)
                                failures.Add($"{shown}: {wrong}");
                            continue;
                        }
                        refused++;
                        var result = CliRunner.Run(args);
                        string[] lines = result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
                        if (result.ExitCode != ExitCodes.BadInput)
                            failures.Add($"{shown}: exit {result.ExitCode}");
                        else if (lines.Length != 1 || result.Stderr.Contains("   at ", StringComparison.Ordinal))
                            failures.Add($"{shown}: {lines.Length} lines on stderr: {result.Stderr}");
                        else if (option.ValueType != typeof(bool) && !lines[0].Contains(option.Name, StringComparison.Ordinal))
                            failures.Add($"{shown}: the error does not name {option.Name}: {lines[0]}");
                        if (result.Stdout.Length > 0)
                            failures.Add($"{shown}: wrote to stdout: {result.Stdout}");
                        if (Directory.EnumerateFileSystemEntries(dir).Any())
                            failures.Add($"{shown}: wrote {string.Join(", ", Directory.EnumerateFileSystemEntries(dir))}");
                    }
                }
            }
        }
        finally
        {
            Directory.SetCurrentDirectory(saved);
        }
        Assert.True(failures.Count == 0, $"{failures.Count} of {refused + accepted} cases failed:\n" + string.Join('\n', failures.Take(40)));
        // Most hostile values must be refused: at least every non-number of every numeric option.
        Assert.True(refused > accepted, $"{refused} refused, {accepted} accepted");
    }

    /// <summary>Null when an accepted <paramref name="text"/> was read as exactly the number it spells (or as the text itself).</summary>
    private static string? ReadBack(ParseResult parse, Option option, string text)
    {
        object? value = option switch
        {
            Option<int> o => parse.GetValue(o),
            Option<int?> o => parse.GetValue(o),
            Option<float> o => parse.GetValue(o),
            Option<double?> o => parse.GetValue(o),
            Option<string> o => parse.GetValue(o),
            Option<string[]> o => parse.GetValue(o)?.LastOrDefault(),
            Option<bool> => text,
            _ => $"an option of type {option.ValueType.Name}, which the test does not know",
        };
        return value switch
        {
            int i when i.ToString(CultureInfo.InvariantCulture) == text => null,
            float f when double.Parse(text, CultureInfo.InvariantCulture) == f && float.IsFinite(f) => null,
            double d when double.Parse(text, CultureInfo.InvariantCulture) == d && double.IsFinite(d) => null,
            string s when s == text => null,
            _ => $"accepted and read as {value ?? "null"}",
        };
    }

    [Theory]
    [InlineData("--temperature", "1,5")]
    [InlineData("--temperature", "1e99")]
    [InlineData("--top-k", "abc")]
    [InlineData("--top-k=abc", null)]
    [InlineData("--length", "0x10")]
    public void A_sample_option_given_a_malformed_number_is_refused_before_the_model_is_read(string option, string? value)
    {
        string[] args = value is null ? ["sample", "--model", "missing.safetensors", option] : ["sample", "--model", "missing.safetensors", option, value];
        var result = CliRunner.Run(args);
        Assert.Equal(ExitCodes.BadInput, result.ExitCode);
        Assert.Contains(option.Split('=')[0], result.Stderr);
        Assert.Contains("must be", result.Stderr);
        Assert.DoesNotContain("missing.safetensors", result.Stderr);
    }

    [Fact]
    public void A_training_configuration_beyond_the_machine_is_refused_with_its_estimate_before_anything_is_written()
    {
        string dir = CliRunner.TempDir();
        string data = Path.Combine(dir, "data.txt");
        File.WriteAllText(data, string.Concat(Enumerable.Repeat("the quick brown fox jumps over the lazy dog. ", 40)));
        string outDir = Path.Combine(dir, "run");
        var result = CliRunner.Run("train", "--data", data, "--hidden", "65536", "--layers", "256", "--seq-length", "10", "--batch", "2", "--out", outDir);
        Assert.Equal(ExitCodes.BadInput, result.ExitCode);
        Assert.Contains("--hidden, --layers", result.Stderr);
        Assert.Matches(@"need (about [0-9.]+ GB of memory|a buffer of [0-9.E+]+ elements)", result.Stderr);
        Assert.False(Directory.Exists(outDir));
    }

    [Fact]
    public void A_configuration_whose_buffer_would_not_fit_one_array_is_refused_naming_the_options()
    {
        var result = CliRunner.Run("lab", "gradients", "--length", "1000000", "--hidden", "65536", "--train-steps", "0");
        Assert.Equal(ExitCodes.BadInput, result.ExitCode);
        Assert.Contains("--length, --hidden and --samples need a buffer of", result.Stderr);
    }

    [Fact]
    public void Params_at_the_largest_sizes_counts_exactly_without_overflow()
    {
        var result = CliRunner.Run("params", "--cell", "lstm", "--hidden", "65536", "--input", "65536", "--layers", "256", "--vocab", "16777216", "--json");
        Assert.Equal(ExitCodes.Ok, result.ExitCode);
        const long H = 65536, I = 65536, L = 256, V = 16777216;
        long recurrent = 4 * H * (I + H) + 8 * H + (L - 1) * (4 * H * (H + H) + 8 * H);
        long expected = recurrent + V * I + V * H + V;
        Assert.Equal(expected, result.Json["total"]!.GetValue<long>());
    }
}
