using System.Text;
using System.Text.Json;
using Baton.Data;
using Baton.IO;
using Baton.Models;
using Baton.Training;

namespace Baton.Tests.Interop;

/// <summary>PyTorch state dicts from tools/golden/interop.py, imported and run in Baton.</summary>
public sealed class TorchImportTests
{
    /// <summary>Mean cross-entropy in float32 against PyTorch's float64: |baton - torch| / (1 + |torch|).</summary>
    private const double LossTolerance = 1e-5;

    /// <summary>Forecast head outputs, float32 against PyTorch's float64: |baton - torch| / (1 + |torch|).</summary>
    private const double PredictionTolerance = 1e-5;

    internal static string Golden(string name) => Path.Combine(AppContext.BaseDirectory, "golden", "interop", name);

    [Theory]
    [InlineData("lm_lstm_2l", "lstm")]
    [InlineData("lm_gru_1l", "gru")]
    [InlineData("lm_rnn_2l", "rnn")]
    [InlineData("lm_lstm_proj", "lstm")]
    public void Imported_language_model_reproduces_pytorch_greedy_text_and_loss(string name, string cell)
    {
        using var expected = JsonDocument.Parse(File.ReadAllText(Golden(name + ".json")));
        var root = expected.RootElement;
        var model = TorchImport.Import(Golden(name + ".safetensors"),
            new TorchImportOptions { Cell = cell, Task = "lm", Vocab = TorchImport.ReadVocab(Golden(name + ".vocab.json")) });

        Assert.Equal(root.GetProperty("layers").GetInt32(), model.Config.Layers);
        Assert.Equal(root.GetProperty("hidden").GetInt32(), model.Config.Hidden);
        Assert.Equal(root.GetProperty("embedding").GetInt32(), model.Config.Embedding);
        Assert.Equal(root.GetProperty("proj_size").GetInt32(), model.Config.ProjSize);

        var vocab = new Vocabulary(TokenKind.Chars, model.Config.Vocab);
        string greedy = Greedy(model, vocab, root.GetProperty("prime").GetString()!, root.GetProperty("steps").GetInt32());
        Assert.Equal(root.GetProperty("greedy").GetString(), greedy);

        double loss = MeanLoss(model, vocab, root.GetProperty("text").GetString()!);
        double torchLoss = root.GetProperty("loss").GetDouble();
        Assert.True(Math.Abs(loss - torchLoss) / (1 + Math.Abs(torchLoss)) <= LossTolerance, $"loss {loss} vs PyTorch {torchLoss}");
    }

    [Theory]
    [InlineData("forecast_gru_2l_bi", "gru")]
    [InlineData("forecast_lstm_1l_bi", "lstm")]
    public void Imported_bidirectional_forecast_model_matches_pytorch_final_state_head(string name, string cell)
    {
        using var expected = JsonDocument.Parse(File.ReadAllText(Golden(name + ".json")));
        var root = expected.RootElement;
        var model = TorchImport.Import(Golden(name + ".safetensors"), new TorchImportOptions { Cell = cell, Task = "forecast" });
        Assert.True(model.Config.Bidirectional);
        Assert.Equal(root.GetProperty("layers").GetInt32(), model.Config.Layers);

        int T = root.GetProperty("T").GetInt32(), B = root.GetProperty("B").GetInt32();
        float[] features = root.GetProperty("features").EnumerateArray().Select(e => (float)e.GetDouble()).ToArray();
        double[] prediction = root.GetProperty("prediction").EnumerateArray().Select(e => e.GetDouble()).ToArray();
        var ws = model.CreateWorkspace(T, B);
        var output = model.ForwardFeatures(ws, features, T, B).ToArray();
        double error = InteropTestModels.MaxError(output, prediction);
        Assert.True(error <= PredictionTolerance, $"max error {error:E2}");
    }

    [Fact]
    public void Imported_model_saves_and_loads_as_a_baton_model_file()
    {
        string dir = Path.Combine(Path.GetTempPath(), "baton-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        var model = TorchImport.Import(Golden("lm_gru_1l.safetensors"),
            new TorchImportOptions { Cell = "gru", Vocab = TorchImport.ReadVocab(Golden("lm_gru_1l.vocab.json")) });
        string path = Path.Combine(dir, "model.safetensors");
        ModelFile.Save(model, path);
        var loaded = ModelFile.Load(path);
        Assert.Equal(model.Config.ToJson(), loaded.Config.ToJson());
        Assert.Equal(model.Parameters.Data, loaded.Parameters.Data);
        Directory.Delete(dir, recursive: true);
    }

    [Theory]
    [InlineData("lm", "mingru", 2, false)]
    [InlineData("classify", "minlstm", 2, true)]
    [InlineData("forecast", "mingru", 1, true)]
    public void Min_cell_state_dict_without_metadata_imports_to_the_same_model(string task, string cell, int layers, bool bidirectional)
    {
        var model = OnnxExportTests.NewModel(task, cell, layers, bidirectional, seed: 41);
        string dir = Path.Combine(Path.GetTempPath(), "baton-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        string path = Path.Combine(dir, "state.safetensors");
        var writer = new SafeTensorsWriter();        // a bare state dict: tensors only, no baton.config
        foreach (var tensor in model.Parameters.Tensors)
            writer.AddFloat32(tensor.Name, tensor.Shape, model.Parameters.Value(tensor));
        writer.Save(path);

        var imported = TorchImport.Import(path, new TorchImportOptions { Cell = cell, Task = task, Vocab = model.Config.Vocab });
        var (expected, actual) = (model.Config, imported.Config);
        Assert.Equal((expected.Cell, expected.Layers, expected.Hidden, expected.Bidirectional, expected.Embedding, expected.InputSize, expected.OutputSize),
            (actual.Cell, actual.Layers, actual.Hidden, actual.Bidirectional, actual.Embedding, actual.InputSize, actual.OutputSize));
        Assert.Equal(model.Parameters.Data, imported.Parameters.Data);
        Directory.Delete(dir, recursive: true);
    }

    /// <summary>Argmax continuation of <paramref name="prime"/>, one token at a time, carrying the state.</summary>
    internal static string Greedy(SequenceModel model, Vocabulary vocab, string prime, int steps)
    {
        int V = vocab.Count;
        int[] ids = vocab.Encode(prime, out int unknown);
        Assert.Equal(0, unknown);
        var ws = model.CreateWorkspace(ids.Length, 1);
        var logits = model.ForwardTokens(ws, ids, ids.Length, 1);
        int next = TokenSampler.ArgMax(logits[((ids.Length - 1) * V)..]);
        var text = new StringBuilder();
        var one = new int[1];
        for (int i = 0; i < steps; i++)
        {
            text.Append(vocab.Tokens[next]);
            ws.CarryState();
            one[0] = next;
            logits = model.ForwardTokens(ws, one, 1, 1, useState: true);
            next = TokenSampler.ArgMax(logits);
        }
        return text.ToString();
    }

    /// <summary>Mean cross-entropy of text[1:] given text[:-1] from a zero state, B = 1.</summary>
    internal static double MeanLoss(SequenceModel model, Vocabulary vocab, string text)
    {
        int[] ids = vocab.Encode(text, out int unknown);
        Assert.Equal(0, unknown);
        int T = ids.Length - 1;
        var ws = model.CreateWorkspace(T, 1);
        var logits = model.ForwardTokens(ws, ids.AsSpan(0, T), T, 1);
        return Losses.CrossEntropy(logits, ids.AsSpan(1), vocab.Count, default).Mean;
    }
}
