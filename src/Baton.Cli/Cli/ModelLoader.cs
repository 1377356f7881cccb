using Baton.IO;
using Baton.Models;

namespace Baton.Cli.Cli;

/// <summary>Loads a model file for a command, turning every kind of bad file into a one-line CliError.</summary>
internal static class ModelLoader
{
    /// <summary>Loads <paramref name="path"/> (a model or a training checkpoint).</summary>
    public static SequenceModel Load(string path)
    {
        CliOptions.ExistingFile(path, "model file");
        try
        {
            return ModelFile.Load(path);
        }
        catch (Exception e) when (e is InvalidDataException or FormatException or ArgumentException or IOException or InvalidOperationException)
        {
            string message = e.Message.ReplaceLineEndings(" ");
            throw new CliError(message.Contains(path, StringComparison.Ordinal) ? message : $"{path}: {message}");
        }
    }

    /// <summary>Loads a language model (task "lm").</summary>
    public static SequenceModel LoadLanguageModel(string path)
    {
        var model = Load(path);
        if (model.Config.TaskKind != TaskKind.Lm)
            throw new CliError($"{path}: this is a {model.Config.Task} model; the command needs a language model (task lm).");
        return model;
    }
}
