using System.CommandLine;
using Baton.Cli.Cli;
using Baton.Data;

namespace Baton.Cli.Commands;

/// <summary>
/// <c>baton classify</c>: a label for each whole variable-length sequence. Without a subcommand it trains on the built-in
/// data (as <c>baton classify train</c> with the same options); <c>train</c> reads a long-format CSV or the built-in data,
/// <c>predict</c> labels new sequences with a trained model.
/// </summary>
internal static class ClassifyCommand
{
    /// <summary>Model-file metadata keys: the id, label and time column names the model was trained with.</summary>
    public const string IdKey = "baton.classify.id";

    /// <inheritdoc cref="IdKey"/>
    public const string LabelKey = "baton.classify.label";

    /// <inheritdoc cref="IdKey"/>
    public const string TimeKey = "baton.classify.time";

    public static Command Create()
    {
        var options = new ClassifyTrainCommand.TrainOptions();
        var command = new Command("classify",
            "Label whole sequences (sensor traces, trajectories): train a recurrent classifier on a long-format CSV or the built-in " +
            "'where the cat lands' data, score it beside baselines, predict (also step by step). Without a subcommand: train on the built-in data.");
        options.AddTo(command);
        command.SetAction(parse => ClassifyTrainCommand.Invoke(parse, options));
        command.Subcommands.Add(ClassifyTrainCommand.Create());
        command.Subcommands.Add(ClassifyPredictCommand.Create());
        return command;
    }

    /// <summary>Runs <paramref name="action"/>, turning bad-data exceptions into one-line usage errors (exit 2).</summary>
    internal static T BadInputAsCliError<T>(Func<T> action)
    {
        try
        {
            return action();
        }
        catch (SequenceDataException e)
        {
            throw new CliError(e.Message);
        }
        catch (TimeSeriesDataException e)
        {
            throw new CliError(e.Message);
        }
    }
}
