using System.CommandLine;

namespace Baton.Cli;

/// <summary>Every baton command, registered with one line each.</summary>
internal static class CommandCatalog
{
    /// <summary>Top-level commands, in the order `baton --help` lists them.</summary>
    public static IEnumerable<Command> TopLevel() =>
    [
        Commands.ParamsCommand.Create(),
        Commands.TrainCommand.Create(),
        Commands.SampleCommand.Create(),
        Commands.ScoreCommand.Create(),
        Commands.InspectCommand.Create(),
        Commands.BenchCommand.Create(),
        Commands.ExportOnnxCommand.Create(),
        Commands.ImportTorchCommand.Create(),
        Lab(),
        Commands.ForecastCommand.Create(),
        Commands.ClassifyCommand.Create(),
    ];

    /// <summary>`baton lab ...`: the experiments behind the article's claims.</summary>
    public static IEnumerable<Command> LabCommands() =>
    [
        Commands.LabMemoryCommand.Create(),
        Commands.LabGradientsCommand.Create(),
        Commands.LabLengthsCommand.Create(),
        Commands.LabGatesCommand.Create(),
        Commands.LabParallelCommand.Create(),
    ];

    private static Command Lab()
    {
        var lab = new Command("lab", "Experiments that measure the article's claims: vanishing gradients, memory, gates, parallel evaluation.");
        foreach (var command in LabCommands())
            lab.Subcommands.Add(command);
        return lab;
    }
}
