namespace Baton.Cli.Cli;

/// <summary>
/// The standard streams of the current invocation. Flows with the async context so that tests can
/// run commands in-process, in parallel, each with its own writers.
/// </summary>
public static class CliContext
{
    private static readonly AsyncLocal<TextWriter?> stdout = new();
    private static readonly AsyncLocal<TextWriter?> stderr = new();
    private static readonly AsyncLocal<TextReader?> stdin = new();
    private static readonly AsyncLocal<bool?> interactive = new();

    /// <summary>Standard output of this invocation.</summary>
    public static TextWriter Out => stdout.Value ?? Console.Out;

    /// <summary>Standard error of this invocation.</summary>
    public static TextWriter Err => stderr.Value ?? Console.Error;

    /// <summary>Standard input of this invocation.</summary>
    public static TextReader In => stdin.Value ?? Console.In;

    /// <summary>
    /// Opens a text input by path for one forward pass: "-" is standard input as bytes (in tests, the given reader's
    /// text as UTF-8); anything else is opened as a file, FIFO or device.
    /// </summary>
    internal static Stream OpenInput(string path) => path != "-" ? Baton.Data.Utf8Text.OpenRead(path)
        : stdin.Value is { } reader ? new MemoryStream(System.Text.Encoding.UTF8.GetBytes(reader.ReadToEnd()), writable: false)
        : Console.OpenStandardInput();

    /// <summary>True when stderr is a terminal (live progress bars); false in tests and pipes.</summary>
    public static bool IsInteractive => interactive.Value ?? !Console.IsErrorRedirected;

    internal static void Set(TextWriter? output, TextWriter? error, TextReader? input)
    {
        stdout.Value = output;
        stderr.Value = error;
        stdin.Value = input;
        interactive.Value = output is null && error is null ? null : false;
    }
}
