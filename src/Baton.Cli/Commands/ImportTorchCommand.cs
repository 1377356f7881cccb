using System.CommandLine;
using System.Text.Json.Nodes;
using Baton.Cli.Cli;
using Baton.IO;
using Baton.Layers;
using Baton.Models;

namespace Baton.Cli.Commands;

/// <summary>
/// <c>baton import-torch STATE.safetensors --cell lstm|gru|rnn|rnn_relu|mingru|minlstm [--task lm --vocab VOCAB.json] -o MODEL.safetensors</c>:
/// a PyTorch state dict of DESIGN.md's module becomes a Baton model file; sizes, layer count, direction and
/// projection are inferred from the tensor names and shapes (see <see cref="TorchImport"/>).
/// </summary>
internal static class ImportTorchCommand
{
    public static Command Create()
    {
        var state = new Argument<string>("state") { Description = "PyTorch state dict saved as safetensors (safetensors.torch.save_file(model.state_dict(), ...))" };
        var cell = CliOptions.Choice("--cell", "Recurrent cell of the state dict", "lstm", [.. CellKinds.Names]);
        var task = CliOptions.Choice("--task", "What the module does", "lm", TorchImport.Tasks);
        var vocab = new Option<string?>("--vocab") { Description = "JSON array of the token strings by id (needed when there is an embedding)" };
        var output = new Option<string>("--output", "-o") { Description = "Baton model file to write (.safetensors)", Required = true };
        var command = new Command("import-torch",
            "Import a PyTorch state dict (embedding / rnn / head, safetensors) as a Baton model; sizes are inferred from names and shapes.")
        {
            state, cell, task, vocab, output,
        };
        command.SetAction(parse =>
        {
            var o = new Output(parse);
            string statePath = CliOptions.ExistingFile(parse.GetValue(state)!, "state dict");
            string? vocabPath = parse.GetValue(vocab);
            string[] tokens = vocabPath is null ? [] : TorchImport.ReadVocab(CliOptions.ExistingFile(vocabPath, "vocabulary"));
            var options = new TorchImportOptions { Cell = parse.GetValue(cell)!, Task = parse.GetValue(task)!, Vocab = tokens };
            SequenceModel model;
            try
            {
                model = TorchImport.Import(statePath, options);
            }
            catch (SafeTensorsFormatException e)
            {
                throw new CliError(e.Message);
            }
            catch (ArgumentException e)
            {
                // The cell and task are validated at parse time: what is left is the vocabulary.
                string hint = vocabPath is null ? " Pass --vocab VOCAB.json." : "";
                throw new CliError($"{statePath}: {e.Message}{hint}");
            }
            string modelPath = parse.GetValue(output)!;
            ModelFile.Save(model, modelPath);

            var config = model.Config;
            int D = config.Bidirectional ? 2 : 1;
            o.Line($"wrote {modelPath}: {config.Task}, {config.Cell}, {config.Layers} layer(s) × {D} direction(s), hidden {config.Hidden}" +
                   $"{(config.ProjSize > 0 ? $", proj {config.ProjSize}" : "")}, " +
                   $"{(config.UsesEmbedding ? $"vocabulary {config.VocabularySize}, embedding {config.Embedding}" : $"{config.InputSize} input feature(s)")}, " +
                   $"output {config.OutputSize}, {model.Parameters.Count:N0} parameters");
            o.Result(new JsonObject
            {
                ["state"] = statePath,
                ["model"] = modelPath,
                ["task"] = config.Task,
                ["cell"] = config.Cell,
                ["layers"] = config.Layers,
                ["hidden"] = config.Hidden,
                ["bidirectional"] = config.Bidirectional,
                ["proj_size"] = config.ProjSize,
                ["embedding"] = config.Embedding,
                ["input_size"] = config.InputSize,
                ["output_size"] = config.OutputSize,
                ["parameters"] = model.Parameters.Count,
            });
            return ExitCodes.Ok;
        });
        return command;
    }
}
