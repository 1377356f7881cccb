namespace Baton.Cli.Cli;

/// <summary>The exit codes of every baton command (DESIGN.md).</summary>
public static class ExitCodes
{
    /// <summary>Success.</summary>
    public const int Ok = 0;
    /// <summary>A failure while running (e.g. training diverged).</summary>
    public const int Failure = 1;
    /// <summary>A usage error or bad input.</summary>
    public const int BadInput = 2;
}
