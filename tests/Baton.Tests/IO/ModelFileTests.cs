using Baton.IO;
using Baton.Models;
using Baton.Numerics;

namespace Baton.Tests.IO;

public class ModelFileTests
{
    private static string Golden(string name) => Path.Combine(AppContext.BaseDirectory, "golden", "training", name);

    internal static ModelConfig SmallLm(string cell = "lstm") => new()
    {
        Task = "lm", Cell = cell, Layers = 2, Hidden = 6, Embedding = 4, OutputSize = 5, Tokens = "chars", Vocab = ["a", "b", "c", "d", "\n"],
    };

    [Fact]
    public void A_state_dict_written_by_pytorch_loads_with_every_value()
    {
        string path = Golden("char_lstm_init.safetensors");
        var model = ModelFile.Load(path);
        Assert.Equal("lm", model.Config.Task);
        Assert.Equal(2, model.Config.Layers);
        Assert.Equal(11, model.Config.Vocab.Length);
        var file = SafeTensorsFile.Read(path);
        Assert.Equal(file.Tensors.Select(t => t.Name).Order(), model.Parameters.Tensors.Select(t => t.Name).Order());
        foreach (var tensor in model.Parameters.Tensors)
            Assert.Equal(file.ReadFloat32(tensor.Name), model.Parameters.Value(tensor).ToArray());
    }

    [Theory]
    [InlineData("lm", "lstm", false)]
    [InlineData("lm", "gru", false)]
    [InlineData("classify", "lstm", true)]
    [InlineData("forecast", "gru", false)]
    [InlineData("forecast", "rnn_relu", true)]
    public void Save_then_load_gives_the_same_config_and_bit_identical_weights(string task, string cell, bool bidirectional)
    {
        using var dir = new TempDirectory();
        var config = task switch
        {
            "lm" => SmallLm(cell),
            "classify" => new ModelConfig { Task = task, Cell = cell, Hidden = 5, Embedding = 3, Bidirectional = bidirectional, OutputSize = 2,
                Vocab = ["x", "y", "z"], Classes = ["neg", "pos"] },
            _ => new ModelConfig { Task = task, Cell = cell, Layers = 2, Hidden = 5, InputSize = 3, Bidirectional = bidirectional, OutputSize = 4,
                Features = ["a", "b", "c"], Targets = ["a", "b"], Window = 8, Horizon = 2, FeatureMean = [1, 2, 3], FeatureStd = [1, 1, 2],
                TargetMean = [1, 2], TargetStd = [1, 1] },
        };
        var model = new SequenceModel(config);
        model.ResetParameters(new Rng(5));
        string path = dir.File("model.safetensors");
        ModelFile.Save(model, path);
        var loaded = ModelFile.Load(path);
        Assert.Equal(config.ToJson(), loaded.Config.ToJson());
        Assert.Equal(model.Parameters.Data, loaded.Parameters.Data);
        string? keep = Environment.GetEnvironmentVariable("BATON_KEEP_MODEL_DIR");
        if (keep is not null)
            File.Copy(path, Path.Combine(keep, $"{task}-{cell}{(bidirectional ? "-bi" : "")}.safetensors"), overwrite: true);
    }

    private static string WriteWith(TempDirectory dir, Action<SafeTensorsWriter, SequenceModel> edit, ModelConfig? config = null)
    {
        var model = new SequenceModel(config ?? SmallLm());
        model.ResetParameters(new Rng(1));
        var writer = new SafeTensorsWriter();
        writer.Metadata[ModelFile.ConfigKey] = model.Config.ToJson();
        edit(writer, model);
        string path = dir.File("edited.safetensors");
        writer.Save(path);
        return path;
    }

    private static void AddAllExcept(SafeTensorsWriter writer, SequenceModel model, string skip)
    {
        foreach (var t in model.Parameters.Tensors.Where(t => t.Name != skip))
            writer.AddFloat32(t.Name, t.Shape, model.Parameters.Value(t));
    }

    [Fact]
    public void A_missing_tensor_is_named()
    {
        using var dir = new TempDirectory();
        string path = WriteWith(dir, (w, m) => AddAllExcept(w, m, "rnn.bias_hh_l1"));
        var e = Assert.Throws<SafeTensorsFormatException>(() => ModelFile.Load(path));
        Assert.Equal("rnn.bias_hh_l1", e.TensorName);
        Assert.Contains(path, e.Message);
        Assert.Contains("missing", e.Message);
    }

    [Fact]
    public void A_tensor_whose_shape_does_not_match_the_config_is_named()
    {
        using var dir = new TempDirectory();
        string path = WriteWith(dir, (w, m) =>
        {
            AddAllExcept(w, m, "head.weight");
            w.AddFloat32("head.weight", [5, 7], new float[35]);
        });
        var e = Assert.Throws<SafeTensorsFormatException>(() => ModelFile.Load(path));
        Assert.Equal("head.weight", e.TensorName);
        Assert.Contains("[5, 7] does not match the config, which needs [5, 6]", e.Message);
    }

    [Fact]
    public void A_tensor_the_config_does_not_describe_is_named()
    {
        using var dir = new TempDirectory();
        string path = WriteWith(dir, (w, m) =>
        {
            AddAllExcept(w, m, "");
            w.AddFloat32("rnn.weight_ih_l2", [24, 6], new float[144]);
        });
        var e = Assert.Throws<SafeTensorsFormatException>(() => ModelFile.Load(path));
        Assert.Equal("rnn.weight_ih_l2", e.TensorName);
        Assert.Contains("unexpected", e.Message);
    }

    [Fact]
    public void A_non_finite_weight_is_named()
    {
        using var dir = new TempDirectory();
        string path = WriteWith(dir, (w, m) =>
        {
            AddAllExcept(w, m, "embedding.weight");
            var bad = new float[20];
            bad[7] = float.NaN;
            w.AddFloat32("embedding.weight", [5, 4], bad);
        });
        var e = Assert.Throws<SafeTensorsFormatException>(() => ModelFile.Load(path));
        Assert.Equal("embedding.weight", e.TensorName);
        Assert.Contains("element 7", e.Message);
    }

    [Fact]
    public void A_safetensors_file_without_a_config_is_not_a_baton_model()
    {
        using var dir = new TempDirectory();
        var writer = new SafeTensorsWriter();
        writer.AddFloat32("weight", [2], [1, 2]);
        string path = dir.File("foreign.safetensors");
        writer.Save(path);
        var e = Assert.Throws<SafeTensorsFormatException>(() => ModelFile.Load(path));
        Assert.Contains("not a Baton model file", e.Message);
        Assert.Contains(path, e.Message);
    }

    [Fact]
    public void An_invalid_config_field_is_named()
    {
        using var dir = new TempDirectory();
        var writer = new SafeTensorsWriter();
        writer.Metadata[ModelFile.ConfigKey] = SmallLm().ToJson().Replace("\"hidden\":6", "\"hidden\":0");
        writer.AddFloat32("weight", [1], [1]);
        string path = dir.File("badconfig.safetensors");
        writer.Save(path);
        var e = Assert.Throws<SafeTensorsFormatException>(() => ModelFile.Load(path));
        Assert.Contains("'hidden'", e.Message);
        var cell = Assert.Throws<ModelConfigException>(() => ModelConfig.FromJson(SmallLm().ToJson().Replace("\"lstm\"", "\"transformer\"")));
        Assert.Equal("cell", cell.Field);
    }

    [Fact]
    public void A_truncated_model_file_is_rejected_naming_the_file()
    {
        using var dir = new TempDirectory();
        var model = new SequenceModel(SmallLm());
        string path = dir.File("cut.safetensors");
        ModelFile.Save(model, path);
        var bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes[..(bytes.Length / 2)]);
        var e = Assert.Throws<SafeTensorsFormatException>(() => ModelFile.Load(path));
        Assert.Contains(path, e.Message);
        Assert.NotNull(e.TensorName);
    }
}
