using System.Text.Json;
using Baton.IO;
using Baton.Models;
using Baton.Numerics;

string dir = args[0];
Directory.CreateDirectory(dir);
var expected = new Dictionary<string, object>();
void Make(string name, ModelConfig config, ulong seed)
{
    var model = new SequenceModel(config);
    model.ResetParameters(new Rng(seed));
    string path = Path.Combine(dir, name + ".safetensors");
    ModelFile.Save(model, path);
    const int T = 5, B = 2;
    int[] lengths = [5, 3];
    var ws = model.CreateWorkspace(T, B);
    float[] output;
    if (config.UsesEmbedding)
    {
        int V = config.VocabularySize;
        var ids = new int[T * B];
        for (int i = 0; i < ids.Length; i++) ids[i] = (i * 7 + 3) % V;
        output = model.ForwardTokens(ws, ids, T, B, config.Task == "lm" ? default : lengths).ToArray();
        expected[name] = new { ids, lengths = config.Task == "lm" ? Array.Empty<int>() : lengths, output };
    }
    else
    {
        int I = config.InputSize;
        var x = new float[T * B * I];
        for (int i = 0; i < x.Length; i++) x[i] = MathF.Sin(0.37f * i) * 1.5f;
        output = model.ForwardFeatures(ws, x, T, B, lengths).ToArray();
        expected[name] = new { x, lengths, output };
    }
}
Make("lm-lstm-chars", new ModelConfig { Task = "lm", Cell = "lstm", Layers = 2, Hidden = 8, Embedding = 6, OutputSize = 5, Tokens = "chars", Vocab = ["a", "b", "c", " ", "\n"] }, 11);
Make("classify-gru-bidirectional", new ModelConfig { Task = "classify", Cell = "gru", Hidden = 6, Bidirectional = true, InputSize = 3, OutputSize = 4, Classes = ["w", "x", "y", "z"] }, 12);
Make("classify-rnnrelu-tokens", new ModelConfig { Task = "classify", Cell = "rnn_relu", Hidden = 7, Embedding = 4, OutputSize = 2, Vocab = ["p", "q", "r", "s", "t", "u"] }, 13);
Make("forecast-lstm-scaled", new ModelConfig { Task = "forecast", Cell = "lstm", Hidden = 8, InputSize = 2, OutputSize = 6, Features = ["temperature", "load"], Targets = ["load"], Window = 5, Horizon = 6,
    FeatureMean = [10f, 100f], FeatureStd = [3f, 20f], TargetMean = [100f], TargetStd = [20f] }, 14);
Make("forecast-mingru", new ModelConfig { Task = "forecast", Cell = "mingru", Hidden = 8, Layers = 2, InputSize = 3, OutputSize = 2 }, 15);
Make("classify-minlstm", new ModelConfig { Task = "classify", Cell = "minlstm", Hidden = 5, InputSize = 2, OutputSize = 3 }, 16);
Make("forecast-lstm-proj", new ModelConfig { Task = "forecast", Cell = "lstm", Hidden = 8, ProjSize = 3, InputSize = 2, OutputSize = 1 }, 17);
File.WriteAllText(Path.Combine(dir, "expected.json"), JsonSerializer.Serialize(expected, new JsonSerializerOptions { WriteIndented = false }));
