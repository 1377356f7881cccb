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
