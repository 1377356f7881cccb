using System.Diagnostics;
using Baton.Training;

namespace Baton.Cli.Cli;

/// <summary>
/// Training progress on stderr: a live bar redrawn in place on a terminal, or one plain line every
/// few seconds (and at every validation) when stderr is a pipe or file.
/// </summary>
internal sealed class ProgressLine(Output output, TimeSpan? timeLimit)
{
    private const int BarWidth = 24;
    private readonly Stopwatch sinceLastLine = Stopwatch.StartNew();
    private double? lastValidation;
    private bool drewLive;

    /// <summary>Shows one step's progress.</summary>
    public void Report(TrainingProgress p)
    {
        if (output.Quiet)
            return;
        if (p.ValidationLoss is double v)
            lastValidation = v;
        double fraction = timeLimit is { } limit
            ? Math.Min(1, p.Elapsed.TotalSeconds / limit.TotalSeconds)
            : p.MaxSteps > 0 ? (double)p.Step / p.MaxSteps : 0;
        TimeSpan remaining = timeLimit is { } l ? l - p.Elapsed : p.Remaining;
        if (remaining < TimeSpan.Zero)
            remaining = TimeSpan.Zero;
        string validation = lastValidation is double val ? $"{val,7:F4}" : "      –";
        string steps = timeLimit is null ? $"{p.Step}/{p.MaxSteps}" : $"{p.Step}";
        string text = $"step {steps}  loss {p.Loss,7:F4}  val {validation}  {p.TokensPerSecond,9:N0} tok/s  left {Format(remaining)}";
        if (output.Interactive)
        {
            int filled = (int)Math.Round(fraction * BarWidth);
            output.Err.Write($"\r[{new string('#', filled)}{new string('.', BarWidth - filled)}] {fraction,4:P0} {text}  ");
            drewLive = true;
        }
        else if (p.ValidationLoss is not null || sinceLastLine.Elapsed.TotalSeconds >= 5)
        {
            output.Err.WriteLine($"{fraction,4:P0} {text}");
            sinceLastLine.Restart();
        }
    }

    /// <summary>Ends a live bar with a newline.</summary>
    public void Finish()
    {
        if (drewLive)
            output.Err.WriteLine();
        drewLive = false;
    }

    private static string Format(TimeSpan t) => t.TotalHours >= 1 ? t.ToString(@"h\:mm\:ss") : t.ToString(@"m\:ss");
}
