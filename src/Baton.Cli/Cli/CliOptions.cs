using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;

namespace Baton.Cli.Cli;

/// <summary>
/// The one place where baton's option values are parsed and checked. Every number is read culture-invariantly
/// (<c>1,5</c> is refused, never read as 15; <c>0x10</c>, <c>1e99</c>, <c>NaN</c> and <c>Infinity</c> likewise) and
/// checked against a closed range while the command line is parsed, so a bad value ends the run before anything is
/// read or written, with one line that names the option and its range, and exit code 2.
/// </summary>
public static class CliOptions
{
    /// <summary>The largest count an int option takes unless its declaration says otherwise.</summary>
    public const int DefaultMax = 1_000_000;

    /// <summary>The widest layer (hidden units, embedding width, input features) any option accepts.</summary>
    public const int MaxWidth = 65_536;

    /// <summary>The most stacked layers any option accepts.</summary>
    public const int MaxLayers = 256;

    /// <summary>An int option within [<paramref name="min"/>, <paramref name="max"/>].</summary>
    public static Option<int> Int(string name, string description, int defaultValue, int min = 1, int max = DefaultMax)
    {
        CheckDefault(name, defaultValue, min, max);
        return new Option<int>(name)
        {
            Description = $"{description} [{min}..{max}]",
            DefaultValueFactory = _ => defaultValue,
            CustomParser = result => ParseInt(result, name, min, max) ?? defaultValue,
        };
    }

    /// <summary>An int option within [<paramref name="min"/>, <paramref name="max"/>] that is null unless given.</summary>
    public static Option<int?> OptionalInt(string name, string description, int min = 1, int max = DefaultMax)
    {
        return new Option<int?>(name)
        {
            Description = $"{description} [{min}..{max}]",
            CustomParser = result => ParseInt(result, name, min, max),
        };
    }

    /// <summary>A finite float option within [<paramref name="min"/>, <paramref name="max"/>].</summary>
    public static Option<float> Float(string name, string description, float defaultValue, float min, float max)
    {
        CheckDefault(name, defaultValue, min, max);
        return new Option<float>(name)
        {
            Description = $"{description} [{Format(min)}..{Format(max)}]",
            DefaultValueFactory = _ => defaultValue,
            CustomParser = result => (float?)ParseReal(result, name, min, max) ?? defaultValue,
        };
    }

    /// <summary>A finite double option within [<paramref name="min"/>, <paramref name="max"/>] that is null unless given.</summary>
    public static Option<double?> OptionalDouble(string name, string description, double min, double max)
    {
        return new Option<double?>(name)
        {
            Description = $"{description} [{Format(min)}..{Format(max)}]",
            CustomParser = result => ParseReal(result, name, min, max),
        };
    }

    /// <summary>A string option restricted to <paramref name="choices"/>.</summary>
    public static Option<string> Choice(string name, string description, string defaultValue, params string[] choices)
    {
        var option = new Option<string>(name) { Description = $"{description} ({string.Join('|', choices)})", DefaultValueFactory = _ => defaultValue };
        option.AcceptOnlyFromAmong(choices);
        return option;
    }

    /// <summary>
    /// Reads <paramref name="text"/> as an integer in [<paramref name="min"/>, <paramref name="max"/>]: optional sign and
    /// decimal digits only, invariant culture. Returns false (and the error line) for anything else.
    /// </summary>
    public static bool TryInt(string text, string name, int min, int max, out int value, out string error)
    {
        error = "";
        if (long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long wide) && wide >= min && wide <= max)
        {
            value = (int)wide;
            return true;
        }
        value = 0;
        error = $"{name} must be a whole number in [{min}, {max}] (got '{Shown(text)}').";
        return false;
    }

    /// <summary>Checks that <paramref name="path"/> names an existing, non-empty regular file.</summary>
    public static string ExistingFile(string path, string what)
    {
        if (Directory.Exists(path))
            throw new CliError($"{what} '{path}' is a directory, not a file.");
        if (!File.Exists(path))
            throw new CliError($"{what} '{path}' does not exist.");
        if (new FileInfo(path).Length == 0)
            throw new CliError($"{what} '{path}' is empty.");
        return path;
    }

    /// <summary>
    /// A text input read in one pass: "-" (standard input), or a path that exists and is not a folder (a regular file,
    /// a FIFO or a device). Emptiness is found by reading, since a pipe has no length beforehand.
    /// </summary>
    public static string ExistingInput(string path, string what)
    {
        if (path == "-")
            return path;
        if (Directory.Exists(path))
            throw new CliError($"{what} '{path}' is a directory, not a file.");
        if (!File.Exists(path))
            throw new CliError($"{what} '{path}' does not exist.");
        return path;
    }

    /// <summary>The memory baton may plan to use: what the GC reports as available to this process.</summary>
    public static long AvailableBytes => GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;

    /// <summary>
    /// Refuses a configuration before anything is allocated when its estimated memory, <paramref name="bytes"/>, exceeds
    /// what this machine makes available, or when one of its buffers, <paramref name="largestArray"/> elements, would not
    /// fit one .NET array. <paramref name="what"/> names the options that set the size.
    /// </summary>
    public static void CheckMemory(double bytes, double largestArray, string what)
    {
        if (largestArray > Array.MaxLength)
            throw new CliError(string.Create(CultureInfo.InvariantCulture,
                $"{what} need a buffer of {largestArray:G3} elements, more than one array holds ({Array.MaxLength}); use smaller sizes."));
        if (bytes > AvailableBytes)
            throw new CliError(string.Create(CultureInfo.InvariantCulture,
                $"{what} need about {bytes / 1e9:0.##} GB of memory, more than the {AvailableBytes / 1e9:0.##} GB available; use smaller sizes."));
    }

    private static int? ParseInt(ArgumentResult result, string name, int min, int max)
    {
        if (result.Tokens.Count == 0)
            return null;
        if (TryInt(result.Tokens[^1].Value, name, min, max, out int value, out string error))
            return value;
        result.AddError(error);
        return null;
    }

    private static double? ParseReal(ArgumentResult result, string name, double min, double max)
    {
        if (result.Tokens.Count == 0)
            return null;
        string text = result.Tokens[^1].Value;
        if (double.TryParse(text, NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint | NumberStyles.AllowExponent,
                CultureInfo.InvariantCulture, out double value) && double.IsFinite(value) && value >= min && value <= max)
            return value;
        result.AddError($"{name} must be a number in [{Format(min)}, {Format(max)}] (got '{Shown(text)}').");
        return null;
    }

    private static void CheckDefault(string name, double value, double min, double max)
    {
        if (!(value >= min && value <= max))
            throw new ArgumentOutOfRangeException(name, value, $"The default of {name} lies outside its range [{min}, {max}].");
    }

    private static string Format(double value) => value.ToString("G6", CultureInfo.InvariantCulture);

    /// <summary>The value as it is echoed in an error line: one line, at most 40 characters.</summary>
    private static string Shown(string text)
    {
        string line = text.ReplaceLineEndings(" ");
        return line.Length <= 40 ? line : line[..40] + "…";
    }

    /// <summary>Names from options that may repeat and may hold commas (<c>--features a,b</c>, <c>--features a b</c>).</summary>
    public static string[] Names(IEnumerable<string>? values) =>
        values is null
            ? []
            : [.. values.SelectMany(v => v.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).Distinct()];
}
