using System.CommandLine;

namespace Baton.Cli.Cli;

/// <summary>Builders for options that validate their values, so bad input fails at parse time with exit code 2.</summary>
public static class CliOptions
{
    /// <summary>An int option that must be at least <paramref name="min"/>.</summary>
    public static Option<int> Int(string name, string description, int defaultValue, int min = 1)
    {
        var option = new Option<int>(name) { Description = description, DefaultValueFactory = _ => defaultValue };
        option.Validators.Add(result =>
        {
            int value = result.GetValueOrDefault<int>();
            if (value < min)
                result.AddError($"{name} must be at least {min} (got {value}).");
        });
        return option;
    }

    /// <summary>A float option within [<paramref name="min"/>, <paramref name="max"/>].</summary>
    public static Option<float> Float(string name, string description, float defaultValue, float min = float.MinValue, float max = float.MaxValue)
    {
        var option = new Option<float>(name) { Description = description, DefaultValueFactory = _ => defaultValue };
        option.Validators.Add(result =>
        {
            float value = result.GetValueOrDefault<float>();
            if (!float.IsFinite(value) || value < min || value > max)
                result.AddError($"{name} must be a number in [{min}, {max}] (got {value}).");
        });
        return option;
    }

    /// <summary>A string option restricted to <paramref name="choices"/>.</summary>
    public static Option<string> Choice(string name, string description, string defaultValue, params string[] choices)
    {
        var option = new Option<string>(name) { Description = $"{description} ({string.Join('|', choices)})", DefaultValueFactory = _ => defaultValue };
        option.AcceptOnlyFromAmong(choices);
        return option;
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
}
