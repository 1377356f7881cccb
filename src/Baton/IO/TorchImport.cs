using System.Text;
using System.Text.Json;
using Baton.Layers;
using Baton.Models;

namespace Baton.IO;

/// <summary>
/// Turns a PyTorch state dict of DESIGN.md's module, saved as safetensors, into a Baton
/// <see cref="SequenceModel"/>:
/// <code>
/// embedding = nn.Embedding(V, E)           # embedding.weight [V, E]          (lm, token classify)
/// rnn = nn.LSTM / nn.GRU / nn.RNN(I, H, L, bidirectional=..., proj_size=...)
///                                           # rnn.weight_ih_l{k}[_reverse] [G·H, I_k], rnn.weight_hh_l{k} [G·H, S],
///                                           # rnn.bias_ih_l{k}, rnn.bias_hh_l{k} [G·H], rnn.weight_hr_l{k} [S, H] (proj)
/// head = nn.Linear(S·D, O)                  # head.weight [O, S·D], head.bias [O]
/// </code>
/// The sizes are inferred from the shapes: G from the cell (4 LSTM, 3 GRU, 1 RNN), H = rows(weight_hh_l0) / G,
/// I = columns(weight_ih_l0), L = the number of consecutive <c>rnn.weight_ih_l{k}</c>, D = 2 when
/// <c>rnn.weight_ih_l0_reverse</c> exists, S = rows(weight_hr_l0) when it exists (LSTM projection) else H,
/// O = rows(head.weight). minGRU / minLSTM stacks use Baton's names after lucidrains/minGRU-pytorch:
/// <c>rnn.layers[_reverse].{k}.to_hidden_and_gate</c> [2H, I_k] / <c>to_hidden_and_f_i_gate</c> [3H, I_k] (weight and bias).
/// Every tensor the model needs must be present with exactly its shape, and no other
/// tensor may be; every problem is a <see cref="SafeTensorsFormatException"/> naming the tensor.
/// </summary>
internal static class TorchImport
{
    /// <summary>The tasks a state dict can be imported as.</summary>
    public static readonly string[] Tasks = ["lm", "forecast", "classify"];

    /// <summary>Reads <paramref name="path"/> and imports it (see <see cref="Import(SafeTensorsFile, TorchImportOptions)"/>).</summary>
    public static SequenceModel Import(string path, TorchImportOptions options) => Import(SafeTensorsFile.Read(path), options);

    /// <summary>Infers the model's sizes from <paramref name="file"/>, builds it and copies every tensor in.</summary>
    /// <exception cref="SafeTensorsFormatException">A tensor is missing, extra, of the wrong shape or rank, or not finite.</exception>
    /// <exception cref="ArgumentException">The options are invalid (unknown cell or task, a bad vocabulary).</exception>
    public static SequenceModel Import(SafeTensorsFile file, TorchImportOptions options)
    {
        var config = InferConfig(file, options);
        var model = new SequenceModel(config);
        ModelFile.LoadWeights(model, file);
        return model;
    }

    /// <summary>The <see cref="ModelConfig"/> that the tensor names and shapes of <paramref name="file"/> describe.</summary>
    /// <exception cref="SafeTensorsFormatException">The names or shapes do not form DESIGN.md's module.</exception>
    public static ModelConfig InferConfig(SafeTensorsFile file, TorchImportOptions options)
    {
        ArgumentNullException.ThrowIfNull(file);
        ArgumentNullException.ThrowIfNull(options);
        string cell = options.Cell;
        if (!CellKinds.Names.Contains(cell))
            throw new ArgumentException($"Unknown cell '{cell}' (expected {CellKinds.NameList}).", nameof(options));
        if (!Tasks.Contains(options.Task))
            throw new ArgumentException($"Unknown task '{options.Task}' (expected {string.Join(", ", Tasks)}).", nameof(options));
        var (H, proj, inputSize, layers, bidirectional) = cell is "mingru" or "minlstm" ? InferMinStack(file, cell) : InferStack(file, cell);
        int S = proj > 0 ? proj : H;
        int D = bidirectional ? 2 : 1;

        const string head = "head.weight";
        if (!file.Contains(head))
            throw new SafeTensorsFormatException(file.FilePath, head, "missing: the module's head nn.Linear(S·D, O) is needed.");
        long[] headShape = Shape(file, head, rank: 2);
        if (headShape[1] != S * D)
            throw new SafeTensorsFormatException(file.FilePath, head,
                $"has {headShape[1]} columns, expected {S}·{D} = {S * D} (state size × directions).");
        int outputSize = checked((int)headShape[0]);

        const string embedding = "embedding.weight";
        bool hasEmbedding = file.Contains(embedding);
        int E = 0;
        string[] vocab = options.Vocab;
        if (options.Task == "forecast" && hasEmbedding)
            throw new SafeTensorsFormatException(file.FilePath, embedding, "unexpected tensor: a forecast model reads features directly.");
        if (options.Task == "lm" && !hasEmbedding)
            throw new SafeTensorsFormatException(file.FilePath, embedding,
                "missing: a language model (task lm) needs nn.Embedding(V, E); a module without one is a forecast or classify model.");
        if (hasEmbedding)
        {
            long[] table = Shape(file, embedding, rank: 2);
            E = checked((int)table[1]);
            if (E != inputSize)
                throw new SafeTensorsFormatException(file.FilePath, embedding, $"has width {E}, but the first recurrent layer reads {inputSize} inputs.");
            if (options.Task == "lm" && table[0] != outputSize)
                throw new SafeTensorsFormatException(file.FilePath, embedding,
                    $"has {table[0]} rows, but {head} predicts {outputSize} tokens: a language model's vocabulary is both.");
            CheckVocab(vocab, checked((int)table[0]), file.FilePath);
        }

        var config = new ModelConfig
        {
            Task = options.Task,
            Cell = cell,
            Layers = layers,
            Hidden = H,
            Embedding = E,
            Bidirectional = bidirectional,
            ProjSize = proj,
            InputSize = hasEmbedding ? 0 : inputSize,
            OutputSize = outputSize,
            Tokens = hasEmbedding ? "chars" : "",
            Vocab = hasEmbedding ? vocab : [],
        };
        try
        {
            config.Validate();
        }
        catch (ModelConfigException e)
        {
            throw new SafeTensorsFormatException(file.FilePath, null, $"the tensors describe a model Baton cannot hold: {e.Message}");
        }
        return config;
    }

    /// <summary>Sizes of an nn.LSTM / nn.GRU / nn.RNN from <c>rnn.weight_ih_l{k}</c>, <c>weight_hh</c>, <c>weight_hr</c>.</summary>
    private static (int Hidden, int Proj, int InputSize, int Layers, bool Bidirectional) InferStack(SafeTensorsFile file, string cell)
    {
        CellKinds.TryParse(cell, out var kind, out _);   // InferConfig checked the name
        int G = kind.Gates();

        string ih0 = "rnn.weight_ih_l0", hh0 = "rnn.weight_hh_l0", hr0 = "rnn.weight_hr_l0";
        if (!file.Contains(ih0))
        {
            string found = string.Join(", ", file.Tensors.Take(5).Select(t => t.Name));
            throw new SafeTensorsFormatException(file.FilePath, ih0,
                $"missing: not the layout of DESIGN.md's module (embedding.weight, rnn.weight_ih_l0, ..., head.weight); the file holds {found}{(file.Tensors.Count > 5 ? ", ..." : "")}.");
        }
        long[] ih = Shape(file, ih0, rank: 2);
        long[] hh = Shape(file, hh0, rank: 2);
        if (hh[0] % G != 0)
            throw new SafeTensorsFormatException(file.FilePath, hh0, $"has {hh[0]} rows, not a multiple of the {G} gates of a {cell} layer.");
        int H = checked((int)(hh[0] / G));
        int proj = 0;
        if (file.Contains(hr0))
        {
            if (cell != "lstm")
                throw new SafeTensorsFormatException(file.FilePath, hr0, $"unexpected tensor: only an LSTM has a projection, the cell is {cell}.");
            proj = checked((int)Shape(file, hr0, rank: 2)[0]);
        }
        int S = proj > 0 ? proj : H;
        if (hh[1] != S)
        {
            string? other = proj == 0 && hh[1] > 0 && hh[0] % hh[1] == 0
                ? (hh[0] / hh[1]) switch { 4 => "lstm", 3 => "gru", 1 => "rnn", _ => null }
                : null;
            string hint = other is not null && other != cell ? $"; it looks like {other} weights, check the cell." : ".";
            throw new SafeTensorsFormatException(file.FilePath, hh0,
                $"has shape [{hh[0]}, {hh[1]}], but a {cell} layer's weight_hh is [{G}·H, H]{hint}");
        }
        if (ih[0] != G * H)
            throw new SafeTensorsFormatException(file.FilePath, ih0, $"has {ih[0]} rows, expected {G}·{H} = {G * H} like {hh0}.");
        int inputSize = checked((int)ih[1]);
        int layers = 0;
        while (file.Contains($"rnn.weight_ih_l{layers}"))
            layers++;
        bool bidirectional = file.Contains("rnn.weight_ih_l0_reverse");
        return (H, proj, inputSize, layers, bidirectional);

    }

    /// <summary>
    /// Sizes of a minGRU / minLSTM stack named after lucidrains/minGRU-pytorch, as Baton writes it:
    /// <c>rnn.layers[_reverse].{k}.to_hidden_and_gate</c> [2H, I] (minGRU) or <c>to_hidden_and_f_i_gate</c> [3H, I] (minLSTM).
    /// </summary>
    private static (int Hidden, int Proj, int InputSize, int Layers, bool Bidirectional) InferMinStack(SafeTensorsFile file, string cell)
    {
        int chunks = cell == "mingru" ? 2 : 3;
        string linear = cell == "mingru" ? Layers.MinGru.LinearName : Layers.MinLstm.LinearName;
        string first = $"rnn.layers.0.{linear}.weight";
        if (!file.Contains(first))
        {
            string found = string.Join(", ", file.Tensors.Take(5).Select(t => t.Name));
            throw new SafeTensorsFormatException(file.FilePath, first,
                $"missing: not the layout of a {cell} stack (rnn.layers.{{k}}.{linear}.weight|bias); the file holds {found}{(file.Tensors.Count > 5 ? ", ..." : "")}.");
        }
        long[] shape = Shape(file, first, rank: 2);
        if (shape[0] % chunks != 0)
            throw new SafeTensorsFormatException(file.FilePath, first, $"has {shape[0]} rows, not a multiple of the {chunks} chunks of a {cell} layer.");
        int layers = 0;
        while (file.Contains($"rnn.layers.{layers}.{linear}.weight"))
            layers++;
        return (checked((int)(shape[0] / chunks)), 0, checked((int)shape[1]), layers, file.Contains($"rnn.layers_reverse.0.{linear}.weight"));
    }

    /// <summary>Reads a vocabulary file: a JSON array of token strings by id, one Unicode character each.</summary>
    /// <exception cref="InvalidDataException">The file is not such an array.</exception>
    public static string[] ReadVocab(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        return ParseVocab(File.ReadAllText(path), path);
    }

    /// <summary>Parses a vocabulary (see <see cref="ReadVocab"/>) from <paramref name="json"/>; <paramref name="path"/> names it in errors.</summary>
    /// <exception cref="InvalidDataException">The text is not such an array.</exception>
    public static string[] ParseVocab(string json, string path)
    {
        ArgumentNullException.ThrowIfNull(json);
        string[]? vocab;
        try
        {
            vocab = JsonSerializer.Deserialize<string[]>(json);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: not a JSON array of token strings ({e.Message}).");
        }
        if (vocab is null || vocab.Length == 0)
            throw new InvalidDataException($"{path}: the vocabulary is empty.");
        for (int i = 0; i < vocab.Length; i++)
        {
            if (vocab[i] is null)
                throw new InvalidDataException($"{path}: entry {i} is null, expected a token string.");
        }
        return vocab;
    }

    private static void CheckVocab(string[] vocab, int V, string filePath)
    {
        if (vocab.Length == 0)
            throw new ArgumentException($"The model has an embedding of {V} tokens: give its vocabulary (a JSON array of {V} token strings).");
        if (vocab.Length != V)
            throw new SafeTensorsFormatException(filePath, "embedding.weight", $"has {V} rows, but the vocabulary has {vocab.Length} tokens.");
        var seen = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < vocab.Length; i++)
        {
            string token = vocab[i];
            var runes = token.EnumerateRunes();
            int count = 0;
            foreach (Rune _ in runes)
                count++;
            if (count != 1)
                throw new ArgumentException($"Vocabulary entry {i} ({JsonSerializer.Serialize(token)}) is not one character; Baton's text models use one token per character.");
            if (!seen.TryAdd(token, i))
                throw new ArgumentException($"Vocabulary entry {i} ({JsonSerializer.Serialize(token)}) repeats entry {seen[token]}.");
        }
    }

    private static long[] Shape(SafeTensorsFile file, string name, int rank)
    {
        if (!file.Contains(name))
            throw new SafeTensorsFormatException(file.FilePath, name, "missing.");
        long[] shape = file.Info(name).Shape;
        if (shape.Length != rank)
            throw new SafeTensorsFormatException(file.FilePath, name, $"has shape [{string.Join(", ", shape)}], expected {rank} dimensions.");
        return shape;
    }
}
