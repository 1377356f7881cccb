using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Baton.Cli.Cli;

/// <summary>
/// Where a command writes. Without --json, results go to stdout and progress to stderr.
/// With --json, everything human goes to stderr and <see cref="Result"/> writes one JSON object
/// as the last line on stdout.
/// </summary>
public sealed class Output
{
    // Relaxed escaping keeps Chinese text readable in the JSON line (it is still valid JSON).
    private static readonly JsonSerializerOptions JsonOptions = new()
    {
        WriteIndented = false,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary>Reads --json and --quiet from <paramref name="parse"/>.</summary>
    public Output(ParseResult parse)
    {
        Json = parse.GetValue(GlobalOptions.Json);
        Quiet = parse.GetValue(GlobalOptions.Quiet);
    }

    /// <summary>True with --json.</summary>
    public bool Json { get; }

    /// <summary>True with --quiet.</summary>
    public bool Quiet { get; }

    /// <summary>Human-readable results: stdout, or stderr under --json.</summary>
    public TextWriter Human => Json ? CliContext.Err : CliContext.Out;

    /// <summary>Standard error.</summary>
    public TextWriter Err => CliContext.Err;

    /// <summary>True when live progress may redraw a line (stderr is a terminal).</summary>
    public bool Interactive => CliContext.IsInteractive && !Quiet;

    /// <summary>Writes a human result line.</summary>
    public void Line(string text = "") => Human.WriteLine(text);

    /// <summary>Writes a progress or status line to stderr unless --quiet.</summary>
    public void Status(string text)
    {
        if (!Quiet)
            Err.WriteLine(text);
    }

    /// <summary>
    /// Under --json, writes <paramref name="result"/> as one line on stdout. JSON has no NaN or Infinity: such a number
    /// is written as null, its path listed under <c>"non_finite"</c>, and stderr says so.
    /// </summary>
    public void Result(JsonObject result)
    {
        if (Json)
        {
            var paths = new List<string>();
            ReplaceNonFinite(result, "$", paths);
            if (paths.Count > 0)
            {
                result["non_finite"] = new JsonArray(paths.Select(p => (JsonNode)p).ToArray());
                Err.WriteLine($"note: {paths.Count} result value(s) are not finite numbers (NaN or infinity) and are written as null: {string.Join(", ", paths)}");
            }
            CliContext.Out.WriteLine(result.ToJsonString(JsonOptions));
        }
        CliContext.Out.Flush();
    }

    /// <summary>Replaces every NaN or infinite number under <paramref name="node"/> with null, collecting their paths.</summary>
    internal static void ReplaceNonFinite(JsonNode? node, string path, List<string> paths)
    {
        switch (node)
        {
            case JsonObject obj:
                foreach (var (key, child) in obj.ToArray())
                {
                    if (IsNonFinite(child))
                    {
                        obj[key] = null;
                        paths.Add($"{path}.{key}");
                    }
                    else
                    {
                        ReplaceNonFinite(child, $"{path}.{key}", paths);
                    }
                }
                break;
            case JsonArray array:
                for (int i = 0; i < array.Count; i++)
                {
                    if (IsNonFinite(array[i]))
                    {
                        array[i] = null;
                        paths.Add($"{path}[{i}]");
                    }
                    else
                    {
                        ReplaceNonFinite(array[i], $"{path}[{i}]", paths);
                    }
                }
                break;
        }
    }

    private static bool IsNonFinite(JsonNode? node) => node is JsonValue value &&
        ((value.TryGetValue(out double d) && !double.IsFinite(d)) || (value.TryGetValue(out float f) && !float.IsFinite(f)));
}
