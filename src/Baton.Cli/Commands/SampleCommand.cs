using System.CommandLine;
using System.Text;
using System.Text.Json.Nodes;
using Baton.Cli.Cli;
using Baton.Data;
using Baton.Gpu;
using Baton.Models;
using Baton.Numerics;
using Baton.Training;

namespace Baton.Cli.Commands;

/// <summary>`baton sample`: text from a language model, streamed as it is generated.</summary>
internal static class SampleCommand
{
    private static readonly Option<string> Model = new("--model") { Description = "Model or checkpoint file (.safetensors)", Required = true };
    private static readonly Option<string> Prime = new("--prime") { Description = "Text to start from (default: a newline when the vocabulary has one)", DefaultValueFactory = _ => "" };
    private static readonly Option<int> Length = CliOptions.Int("--length", "Tokens to generate", 200, 0, max: 1_000_000);
    private static readonly Option<float> Temperature = CliOptions.Float("--temperature", "Softmax temperature; 0 is greedy and deterministic", 0.8f, 0f, 100f);
    private static readonly Option<int> TopK = CliOptions.Int("--top-k", "Sample only from the K most likely tokens (0: all)", 0, 0);
    private static readonly Option<float> TopP = CliOptions.Float("--top-p", "Sample only from the smallest set of tokens whose probability reaches P", 1f, 1e-6f, 1f);
    private static readonly Option<int> Seed = CliOptions.Int("--seed", "Random seed", 1, 0, max: int.MaxValue);
    private static readonly Option<string> Device = DeviceOption.Create();

    public static Command Create()
    {
        var command = new Command("sample", """
            Generate text from a trained language model; output streams as it is generated.

            Examples:
              baton sample --model runs/train/best.safetensors --prime "我肚子饿了,我想去" --temperature 0 --length 4
              baton sample --model runs/book/best.safetensors --length 500 --temperature 0.7 --top-p 0.9
            """);
        foreach (var option in new Option[] { Model, Prime, Length, Temperature, TopK, TopP, Seed, Device })
            command.Options.Add(option);
        command.SetAction(Run);
        return command;
    }

    private static int Run(ParseResult parse)
    {
        var output = new Output(parse);
        var model = ModelLoader.LoadLanguageModel(parse.GetValue(Model)!);
        var device = DeviceOption.Read(parse, Device);
        using var accelerator = DeviceOption.Open(device);
        GpuTokenStream? stream;
        try
        {
            stream = accelerator is null ? null : new GpuTokenStream(accelerator, model);
        }
        catch (NotSupportedException e)
        {
            throw new CliError($"--device {ComputeDevices.Name(device)}: {e.Message} Use --device cpu.");
        }
        using var deviceStream = stream;
        var generator = new TextGenerator(model, stream);
        string prime = parse.GetValue(Prime)!;
        int unknown = generator.Feed(prime);
        if (unknown > 0)
            output.Status($"baton sample: {unknown} characters of --prime are not in the model's vocabulary and were skipped.");
        if (!generator.HasContext)
        {
            int start = generator.Vocabulary.IdOf("\n");
            generator.Feed(start >= 0 ? start : 0);
        }

        var rng = new Rng((ulong)parse.GetValue(Seed));
        var decoder = new Utf8Stream(generator.Vocabulary);
        var text = new StringBuilder();
        float temperature = parse.GetValue(Temperature), topP = parse.GetValue(TopP);
        int topK = parse.GetValue(TopK), length = parse.GetValue(Length);
        var human = output.Human;
        human.Write(prime);
        for (int i = 0; i < length; i++)
        {
            string piece = decoder.Push(generator.Next(temperature, topK, topP, rng));
            text.Append(piece);
            human.Write(piece);
            human.Flush();
        }
        human.WriteLine();
        output.Result(new JsonObject { ["prime"] = prime, ["text"] = text.ToString() });
        return ExitCodes.Ok;
    }
}
