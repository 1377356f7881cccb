namespace Baton.Cli.Cli;

/// <summary>
/// A problem the user can fix (bad input, a missing file, a wrong option value). The CLI prints
/// its message as one line on stderr and exits with <see cref="ExitCode"/> (2 unless stated).
/// </summary>
public sealed class CliError(string message, int exitCode = ExitCodes.BadInput) : Exception(message)
{
    /// <summary>The process exit code.</summary>
    public int ExitCode { get; } = exitCode;
}
