using Baton.IO;
using Baton.Models;
using Baton.Numerics;
using Microsoft.ML.OnnxRuntime;
using Xunit.Abstractions;
using static Baton.Tests.Interop.InteropTestModels;

namespace Baton.Tests.Interop;

/// <summary>Baton models exported with <see cref="OnnxExport"/>, run in ONNX Runtime on the inputs given to Baton.</summary>
public sealed class OnnxExportTests(ITestOutputHelper output)
{
    /// <summary>Both sides compute in float32 with different summation orders: max |ort - baton| / (1 + |baton|).</summary>
    private const double OrtTolerance = 1e-5;

    private const int T = 9, B = 3;

    [Theory]
    [InlineData("lm", "lstm", 2, false)]
    [InlineData("lm", "gru", 1, false)]
    [InlineData("lm", "rnn", 2, false)]
    [InlineData("lm", "rnn_relu", 1, false)]
    [InlineData("forecast", "lstm", 2, true)]
    [InlineData("forecast", "gru", 1, false)]
    [InlineData("forecast", "rnn", 2, true)]
    [InlineData("classify", "gru", 2, true)]
    [InlineData("lm", "mingru", 2, false)]
    [InlineData("lm", "minlstm", 1, false)]
    [InlineData("forecast", "mingru", 1, true)]
    [InlineData("classify", "minlstm", 2, true)]
    public void Exported_model_in_onnx_runtime_matches_baton_outputs_and_final_states(string task, string cell, int layers, bool bidirectional)
    {
        var model = NewModel(task, cell, layers, bidirectional, seed: 11);
        var config = model.Config;
        int D = bidirectional ? 2 : 1, H = config.Hidden, states = layers * D;
        using var session = Session(OnnxExport.ToBytes(model));

        var ws = model.CreateWorkspace(T, B);
        RandomFloats(states * B * H, seed: 12).CopyTo(ws.H0, 0);
        if (cell == "lstm")
            RandomFloats(states * B * H, seed: 13).CopyTo(ws.C0, 0);
        var inputs = new List<NamedOnnxValue> { Tensor("h0", ws.H0[..(states * B * H)], states, B, H) };
        if (cell == "lstm")
            inputs.Add(Tensor("c0", ws.C0[..(states * B * H)], states, B, H));

        float[] baton;
        string outputName = task == "forecast" ? "prediction" : "logits";
        if (config.UsesEmbedding)
        {
            long[] tokens = RandomTokens(T * B, config.VocabularySize, seed: 14);
            baton = model.ForwardTokens(ws, Array.ConvertAll(tokens, t => (int)t), T, B, useState: true).ToArray();
            inputs.Add(Tensor("tokens", tokens, T, B));
        }
        else
        {
            float[] raw = RandomFloats(T * B * config.InputSize, seed: 15, scale: 5f);
            float[] scaled = new float[raw.Length];
            for (int i = 0; i < raw.Length; i++)
                scaled[i] = (raw[i] - config.FeatureMean[i % config.InputSize]) / config.FeatureStd[i % config.InputSize];
            baton = model.ForwardFeatures(ws, scaled, T, B, useState: true).ToArray();
            int targets = config.TargetMean.Length;
            for (int i = 0; i < baton.Length; i++)
                baton[i] = baton[i] * config.TargetStd[i % config.OutputSize % targets] + config.TargetMean[i % config.OutputSize % targets];
            inputs.Add(Tensor("features", raw, T, B, config.InputSize));
        }
        var ort = Run(session, inputs.ToArray());

        Check(outputName, ort[outputName], baton);
        Check("hn", ort["hn"], ws.Hn[..(states * B * H)]);
        if (cell == "lstm")
            Check("cn", ort["cn"], ws.Cn[..(states * B * H)]);
    }

    [Theory]
    [InlineData("lstm")]
    [InlineData("mingru")]
    public void Streaming_an_exported_model_in_chunks_equals_one_baton_run(string cell)
    {
        var model = NewModel("lm", cell, 2, false, seed: 21);
        bool lstm = cell == "lstm";
        using var session = Session(OnnxExport.ToBytes(model));
        int V = model.Config.VocabularySize, L = model.Config.Layers, H = model.Config.Hidden;
        long[] tokens = RandomTokens(T * B, V, seed: 22);
        var ws = model.CreateWorkspace(T, B);
        float[] whole = model.ForwardTokens(ws, Array.ConvertAll(tokens, t => (int)t), T, B).ToArray();

        var streamed = new List<float>();
        float[]? h = null, c = null;
        foreach (var (start, length) in new[] { (0, 2), (2, 1), (3, 6) })
        {
            var inputs = new List<NamedOnnxValue> { Tensor("tokens", tokens[(start * B)..((start + length) * B)], length, B) };
            if (h is not null)
            {
                inputs.Add(Tensor("h0", h, L, B, H));
                if (lstm)
                    inputs.Add(Tensor("c0", c!, L, B, H));
            }
            var result = Run(session, inputs.ToArray());
            streamed.AddRange(result["logits"]);
            (h, c) = (result["hn"], lstm ? result["cn"] : null);
        }
        Check("streamed logits", streamed.ToArray(), whole);
        Check("streamed hn", h!, ws.Hn[..(L * B * H)]);
        if (lstm)
            Check("streamed cn", c!, ws.Cn[..(L * B * H)]);
    }

    [Fact]
    public void Lstm_model_with_projection_is_refused_with_a_clear_message()
    {
        var config = new ModelConfig { Task = "lm", Cell = "lstm", Layers = 1, Hidden = 6, Embedding = 4, ProjSize = 3, OutputSize = 5, Tokens = "chars" };
        var e = Assert.Throws<NotSupportedException>(() => OnnxExport.ToBytes(new SequenceModel(config)));
        Assert.Contains("proj_size = 3", e.Message);
    }

    [Fact]
    public void Exported_file_carries_the_model_config_as_metadata()
    {
        var model = NewModel("lm", "gru", 1, false, seed: 31);
        using var session = Session(OnnxExport.ToBytes(model));
        Assert.Equal(model.Config.ToJson(), session.ModelMetadata.CustomMetadataMap[ModelFile.ConfigKey]);
        Assert.Equal(["tokens"], session.InputMetadata.Keys.Where(k => k == "tokens"));
    }

    internal static SequenceModel NewModel(string task, string cell, int layers, bool bidirectional, ulong seed)
    {
        const int V = 13, E = 5, F = 3, H = 7, Classes = 4, Horizon = 2, Targets = 2;
        var rng = new Rng(seed);
        var config = task switch
        {
            "lm" => new ModelConfig
            {
                Task = "lm", Cell = cell, Layers = layers, Hidden = H, Embedding = E, OutputSize = V, Tokens = "chars",
                Vocab = Enumerable.Range(0, V).Select(i => ((char)('a' + i)).ToString()).ToArray(),
            },
            "forecast" => new ModelConfig
            {
                Task = "forecast", Cell = cell, Layers = layers, Hidden = H, Bidirectional = bidirectional, InputSize = F,
                OutputSize = Horizon * Targets, Horizon = Horizon, Targets = ["y", "z"], Features = ["a", "b", "c"],
                FeatureMean = [1.5f, -2f, 0.25f], FeatureStd = [2f, 0.5f, 3f], TargetMean = [10f, -1f], TargetStd = [4f, 0.5f],
            },
            _ => new ModelConfig
            {
                Task = "classify", Cell = cell, Layers = layers, Hidden = H, Bidirectional = bidirectional, Embedding = E,
                OutputSize = Classes, Vocab = Enumerable.Range(0, V).Select(i => ((char)('a' + i)).ToString()).ToArray(), Tokens = "chars",
            },
        };
        var model = new SequenceModel(config);
        model.ResetParameters(rng);
        // Twice PyTorch's init so that the gates leave their linear range.
        foreach (ref float v in model.Parameters.Data.AsSpan())
            v *= 2f;
        return model;
    }

    private void Check(string name, float[] actual, float[] expected)
    {
        double error = MaxError(actual, expected);
        output.WriteLine($"{name}: max error {error:E2}");
        Assert.True(error <= OrtTolerance, $"{name}: max error {error:E2} > {OrtTolerance:E0}");
    }
}
