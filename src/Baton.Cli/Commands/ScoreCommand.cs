using System.CommandLine;
using System.Text.Json.Nodes;
using Baton.Cli.Cli;
using Baton.Data;
using Baton.Gpu;
using Baton.Models;
using Baton.Numerics;
using Baton.Training;

namespace Baton.Cli.Commands;

/// <summary>`baton score`: the cross-entropy of a text under a language model.</summary>
internal static class ScoreCommand
{
    /// <summary>Tokens per forward pass; the state is carried from one to the next.</summary>
    internal const int Chunk = 256;

    private static readonly Option<string> Model = new("--model") { Description = "Model or checkpoint file (.safetensors)", Required = true };
    private static readonly Option<string> Text = new("--text") { Description = "UTF-8 text file to score", Required = true };
    private static readonly Option<string> Device = DeviceOption.Create();

    public static Command Create()
    {
        var command = new Command("score", """
            Run a whole text through a language model as one stream from a zero state and average the
            cross-entropy of predicting each token from those before it (nats, bits per token, perplexity).
            Tokens outside the model's vocabulary are reported and skipped.

            Example:
              baton score --model runs/book/best.safetensors --text held-out.txt --json
            """);
        command.Options.Add(Model);
        command.Options.Add(Text);
        command.Options.Add(Device);
        command.SetAction(Run);
        return command;
    }

    private static int Run(ParseResult parse)
    {
        var output = new Output(parse);
        var model = ModelLoader.LoadLanguageModel(parse.GetValue(Model)!);
        if (model.Config.Bidirectional)
            throw new CliError("a bidirectional model sees the future; it cannot score a text token by token.");
        string path = CliOptions.ExistingFile(parse.GetValue(Text)!, "--text file");
        var vocabulary = new Vocabulary(model.Config.Tokens == "bytes" ? TokenKind.Bytes : TokenKind.Chars, model.Config.Vocab);
        var runes = Utf8Text.ReadFile(path);
        int[] all = vocabulary.Encode(runes, out int unknown);
        int[] ids = all.Where(id => id >= 0).ToArray();
        if (unknown > 0)
            output.Status($"baton score: {unknown} of {all.Length} tokens are not in the model's vocabulary and were skipped.");
        if (ids.Length < 2)
            throw new CliError($"{path}: fewer than two tokens in the model's vocabulary; nothing to score.");

        var device = DeviceOption.Read(parse, Device);
        if (device != ComputeDevice.Cpu && GpuTrainer.Unsupported(model.Config, null) is { } unsupported)
            throw new CliError($"--device {ComputeDevices.Name(device)}: the device does not run {unsupported} yet; use --device cpu.");
        using var accelerator = DeviceOption.Open(device);
        double total = accelerator is null ? ScoreTokens(model, ids) : ScoreTokens(accelerator, model, ids);
        long predicted = ids.Length - 1;
        double ce = total / predicted;
        output.Line($"{path}: {predicted} tokens predicted, cross-entropy {ce:F4} nats/token, {ce / Math.Log(2):F4} bits/token, perplexity {Math.Exp(ce):F3}");
        output.Result(new JsonObject
        {
            ["cross_entropy"] = ce,
            ["bits_per_token"] = ce / Math.Log(2),
            ["perplexity"] = Math.Exp(ce),
            ["tokens"] = predicted,
            ["skipped"] = unknown,
        });
        return ExitCodes.Ok;
    }

    /// <summary>Sum of −log p(token_{t+1} | tokens_≤t) over the stream, in chunks with the state carried.</summary>
    /// <summary><see cref="ScoreTokens(SequenceModel, int[])"/> on <paramref name="device"/>: the same chunks, the state carried between them.</summary>
    internal static double ScoreTokens(GpuDevice device, SequenceModel model, int[] ids)
    {
        using var scorer = new GpuTrainer(device, model, null, Chunk, 1);
        scorer.UploadWeights(model.Parameters);
        var batch = new TrainingBatch(Chunk, 1, 0, 0) { B = 1 };
        double total = 0;
        for (int start = 0; start < ids.Length - 1; start += Chunk)
        {
            batch.T = Math.Min(Chunk, ids.Length - 1 - start);
            ids.AsSpan(start, batch.T).CopyTo(batch.Tokens);
            ids.AsSpan(start + 1, batch.T).CopyTo(batch.TokenTargets);
            total += scorer.Score(batch).SumNats;
            scorer.CarryState();
        }
        return total;
    }

    internal static double ScoreTokens(SequenceModel model, int[] ids)
    {
        int V = model.Config.OutputSize;
        var ws = model.CreateWorkspace(Chunk, 1);
        var logProbs = new float[V];
        double total = 0;
        bool carry = false;
        for (int start = 0; start < ids.Length - 1; start += Chunk)
        {
            int T = Math.Min(Chunk, ids.Length - 1 - start);
            var logits = model.ForwardTokens(ws, ids.AsSpan(start, T), T, 1, useState: carry);
            for (int t = 0; t < T; t++)
            {
                Activations.LogSoftmax(logits.Slice(t * V, V), V, logProbs);
                total -= logProbs[ids[start + t + 1]];
            }
            ws.CarryState();
            carry = true;
        }
        return total;
    }
}
