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
    private static readonly Option<string> Text = new("--text") { Description = "UTF-8 text file to score (\"-\": standard input; a pipe works)", Required = true };
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
        string path = CliOptions.ExistingInput(parse.GetValue(Text)!, "--text file");
        string name = path == "-" ? "standard input" : path;
        var kind = model.Config.Tokens == "bytes" ? TokenKind.Bytes : TokenKind.Chars;
        var vocabulary = new Vocabulary(kind, model.Config.Vocab);
        var device = DeviceOption.Read(parse, Device);
        if (device != ComputeDevice.Cpu && GpuTrainer.Unsupported(model.Config, null) is { } unsupported)
            throw new CliError($"--device {ComputeDevices.Name(device)}: the device does not run {unsupported} yet; use --device cpu.");
        using var accelerator = DeviceOption.Open(device);
        TokenReader reader;
        double total;
        long predicted;
        using (var stream = CliContext.OpenInput(path))
        {
            reader = new TokenReader(stream, name, kind, vocabulary.IdOf);
            (total, predicted) = accelerator is null ? ScoreTokens(model, reader) : ScoreTokens(accelerator, model, reader);
        }
        if (reader.BytesRead == 0)
            throw new CliError($"{name}: the file is empty.");
        if (reader.Unknown > 0)
            output.Status($"baton score: {reader.Unknown} of {reader.Characters} tokens are not in the model's vocabulary and were skipped.");
        if (predicted < 1)
            throw new CliError($"{name}: fewer than two tokens in the model's vocabulary; nothing to score.");

        double ce = total / predicted;
        output.Line($"{name}: {predicted} tokens predicted, cross-entropy {ce:F4} nats/token, {ce / Math.Log(2):F4} bits/token, perplexity {Math.Exp(ce):F3}");
        output.Result(new JsonObject
        {
            ["cross_entropy"] = ce,
            ["bits_per_token"] = ce / Math.Log(2),
            ["perplexity"] = Math.Exp(ce),
            ["tokens"] = predicted,
            ["skipped"] = reader.Unknown,
        });
        return ExitCodes.Ok;
    }

    /// <summary>
    /// Sum of −log p(token_{t+1} | tokens_≤t) over the stream, and the number of tokens predicted. Ids of −1 (outside the
    /// vocabulary) are skipped. The text is read and run through the model <see cref="Chunk"/> tokens at a time with the
    /// state carried, so memory does not grow with the text.
    /// </summary>
    internal static (double Total, long Predicted) ScoreTokens(SequenceModel model, TokenReader reader)
    {
        int V = model.Config.OutputSize;
        var ws = model.CreateWorkspace(Chunk, 1);
        var logProbs = new float[V];
        bool carry = false;
        return ScoreWindows(reader, (window, T) =>
        {
            var logits = model.ForwardTokens(ws, window.AsSpan(0, T), T, 1, useState: carry);
            double sum = 0;
            for (int t = 0; t < T; t++)
            {
                Activations.LogSoftmax(logits.Slice(t * V, V), V, logProbs);
                sum -= logProbs[window[t + 1]];
            }
            ws.CarryState();
            carry = true;
            return sum;
        });
    }

    /// <summary><see cref="ScoreTokens(SequenceModel, TokenReader)"/> on <paramref name="device"/>: the same chunks, the state carried between them.</summary>
    internal static (double Total, long Predicted) ScoreTokens(GpuDevice device, SequenceModel model, TokenReader reader)
    {
        using var scorer = new GpuTrainer(device, model, null, Chunk, 1);
        scorer.UploadWeights(model.Parameters);
        var batch = new TrainingBatch(Chunk, 1, 0, 0) { B = 1 };
        return ScoreWindows(reader, (window, T) =>
        {
            batch.T = T;
            window.AsSpan(0, T).CopyTo(batch.Tokens);
            window.AsSpan(1, T).CopyTo(batch.TokenTargets);
            double sum = scorer.Score(batch).SumNats;
            scorer.CarryState();
            return sum;
        });
    }

    /// <summary>Scores window[1..T] from window[0..T) (the state carried from the previous window) and returns Σ −log p.</summary>
    private delegate double WindowScorer(int[] window, int T);

    /// <summary>Cuts the known tokens of <paramref name="reader"/> into windows of <see cref="Chunk"/> + 1, each window's last token the next one's first.</summary>
    private static (double Total, long Predicted) ScoreWindows(TokenReader reader, WindowScorer score)
    {
        var window = new int[Chunk + 1];   // inputs window[0..T), targets window[1..T]
        var read = new int[4096];
        int filled = 0;
        double total = 0;
        long predicted = 0;
        int n;
        while ((n = reader.Read(read)) > 0)
        {
            foreach (int id in read.AsSpan(0, n))
            {
                if (id < 0)
                    continue;
                window[filled++] = id;
                if (filled == window.Length)
                    Score(Chunk);
            }
        }
        if (filled >= 2)
            Score(filled - 1);
        return (total, predicted);

        void Score(int T)
        {
            total += score(window, T);
            predicted += T;
            window[0] = window[T];
            filled = 1;
        }
    }
}
