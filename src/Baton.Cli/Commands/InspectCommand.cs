using System.CommandLine;
using System.Text.Json.Nodes;
using Baton.Cli.Cli;
using Baton.IO;
using Baton.Training;

namespace Baton.Cli.Commands;

/// <summary>`baton inspect`: what a model file holds.</summary>
internal static class InspectCommand
{
    private static readonly Option<string> Model = new("--model") { Description = "Model or checkpoint file (.safetensors)", Required = true };

    public static Command Create()
    {
        var command = new Command("inspect", """
            Show a model file's configuration, its parameters per tensor and in total, and (for a training
            checkpoint) the training history.

            Example:
              baton inspect --model runs/train/last.safetensors
            """);
        command.Options.Add(Model);
        command.SetAction(Run);
        return command;
    }

    private static int Run(ParseResult parse)
    {
        var output = new Output(parse);
        string path = parse.GetValue(Model)!;
        var model = ModelLoader.Load(path);
        var file = SafeTensorsFile.Read(path);
        var config = model.Config;
        var state = Checkpoint.ReadState(file);

        output.Line($"{path}");
        output.Line($"  task {config.Task}, cell {config.Cell}, {config.Layers} layer(s) of {config.Hidden}" +
                    (config.Bidirectional ? ", bidirectional" : "") + (config.ProjSize > 0 ? $", projection {config.ProjSize}" : "") +
                    (config.UsesEmbedding ? $", embedding {config.Embedding}" : $", {config.InputSize} input features") +
                    $", output {config.OutputSize}" + (config.Dropout > 0 ? $", dropout {config.Dropout}" : ""));
        if (config.Vocab.Length > 0)
            output.Line($"  vocabulary: {config.Vocab.Length} {config.Tokens} tokens");
        output.Line();
        output.Line($"  {"tensor",-32} {"shape",-16} {"parameters",12}");
        var tensors = new JsonObject();
        foreach (var tensor in model.Parameters.Tensors)
        {
            output.Line($"  {tensor.Name,-32} {"[" + string.Join(", ", tensor.Shape) + "]",-16} {tensor.Length,12:N0}");
            tensors[tensor.Name] = tensor.Length;
        }
        output.Line($"  {"total",-32} {"",-16} {model.Parameters.Count,12:N0}");

        var result = new JsonObject
        {
            ["path"] = path,
            ["config"] = JsonNode.Parse(config.ToJson()),
            ["total"] = model.Parameters.Count,
            ["tensors"] = tensors,
        };
        if (state is not null)
        {
            output.Line();
            output.Line($"  training checkpoint at step {state.Step}, {state.ElapsedSeconds:F0} s of training, {state.Tokens:N0} tokens seen" +
                        (state.BestValidationLoss is double best ? $", best validation loss {best:F4} at step {state.BestStep}" : ""));
            var history = new JsonArray();
            int shown = 0, every = Math.Max(1, state.History.Length / 12);
            foreach (var h in state.History)
            {
                history.Add(new JsonObject { ["step"] = h.Step, ["loss"] = h.Loss, ["val_loss"] = h.ValidationLoss, ["lr"] = h.LearningRate });
                if (shown++ % every == 0 || h == state.History[^1])
                    output.Line($"    step {h.Step,7}  loss {h.Loss:F4}" + (h.ValidationLoss is double v ? $"  val {v:F4}" : "") + $"  lr {h.LearningRate:G3}");
            }
            result["step"] = state.Step;
            result["history"] = history;
        }
        output.Result(result);
        return ExitCodes.Ok;
    }
}
