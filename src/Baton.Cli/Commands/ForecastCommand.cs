using System.CommandLine;
using Baton.Cli.Cli;
using Baton.Data;

namespace Baton.Cli.Commands;

/// <summary><c>baton forecast</c>: train a forecaster on a CSV time series and predict with it.</summary>
internal static class ForecastCommand
{
    public static Command Create()
    {
        var command = new Command("forecast", "Forecast time series from CSV: train a recurrent forecaster, score it beside baselines, predict (also streaming).");
        command.Subcommands.Add(ForecastTrainCommand.Create());
        command.Subcommands.Add(ForecastPredictCommand.Create());
        return command;
    }

    /// <summary>Column names from options that may repeat and may hold commas (<c>--target a,b</c>, <c>--features x y</c>).</summary>
    internal static string[] Names(IEnumerable<string>? values) =>
        values is null
            ? []
            : [.. values.SelectMany(v => v.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).Distinct()];

    /// <summary>
    /// Runs <paramref name="action"/> on one thread unless <c>--threads</c> was given: a forecaster's
    /// matrices (a batch of 32 windows, hidden 64) are too small for a second thread to pay for its
    /// per-step synchronisation, and on a busy machine that synchronisation dominates. Results do not
    /// depend on the thread count.
    /// </summary>
    internal static int OneThreadUnlessAsked(ParseResult parse, Func<int> action)
    {
        if (parse.GetResult(GlobalOptions.Threads) is not null)
            return action();
        int saved = Baton.Numerics.Threads.Count;
        Baton.Numerics.Threads.Count = 1;
        try
        {
            return action();
        }
        finally
        {
            Baton.Numerics.Threads.Count = saved;
        }
    }

    /// <summary>Parses <c>--fill</c>.</summary>
    internal static TimeSeriesFill Fill(string? value) => value switch
    {
        null or "none" => TimeSeriesFill.None,
        "forward" => TimeSeriesFill.Forward,
        "linear" => TimeSeriesFill.Linear,
        "zero" => TimeSeriesFill.Zero,
        _ => throw new CliError($"--fill must be none, forward, linear or zero (got '{value}')."),
    };

    /// <summary>Runs <paramref name="action"/>, turning bad-data exceptions into one-line usage errors (exit 2).</summary>
    internal static T BadInputAsCliError<T>(Func<T> action)
    {
        try
        {
            return action();
        }
        catch (TimeSeriesDataException e)
        {
            throw new CliError(e.Message);
        }
    }
}
