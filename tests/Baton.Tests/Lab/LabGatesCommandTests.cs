using Baton.Lab;
using Baton.IO;
using Baton.Models;
using Baton.Numerics;
using Baton.Tests.Cli;

namespace Baton.Tests.Lab;

public class LabGatesCommandTests
{
    /// <summary>float64 gate loop against the float32 engine.</summary>
    private const double StateTolerance = 1e-5;

    private static SequenceModel CharModel(string cell, int layers)
    {
        var model = new SequenceModel(new ModelConfig
        {
            Task = "lm", Cell = cell, Layers = layers, Hidden = 6, Embedding = 3, OutputSize = 5,
            Tokens = "chars", Vocab = ["a", "b", "c", "饿", "饭"],
        });
        model.ResetParameters(new Rng(2));
        return model;
    }

    [Theory]
    [InlineData("lstm", 1, 0)]
    [InlineData("gru", 2, 1)]
    public void Gate_loop_reproduces_the_engine_hidden_states(string cell, int layers, int layer)
    {
        var model = CharModel(cell, layers);
        int[] ids = [0, 3, 1, 4, 2, 2, 0];
        int T = ids.Length, E = 3, H = 6;
        var x = new float[T * E];
        model.Embedding!.Forward(ids, x);
        var record = GateActivations.Record(model.Parameters, cell, H, layer, x, T);

        var ws = model.Rnn.CreateWorkspace(T, 1);
        var y = new float[T * H];
        var hn = new float[layers * H];
        model.Rnn.Forward(ws, x, T, 1, [], [], [], y, hn, []);
        for (int u = 0; u < H; u++)
            Assert.Equal(hn[layer * H + u], record.Hidden[T - 1, u], StateTolerance);
        foreach (var (name, values) in record.Gates)
            if (name != "c")
                Assert.All(values.Cast<double>(), v => Assert.InRange(v, 0.0, 1.0));
    }

    [Fact]
    public void Gates_command_writes_csv_and_heatmaps_and_summarises_each_gate()
    {
        string dir = CliRunner.TempDir();
        string path = Path.Combine(dir, "m.safetensors");
        ModelFile.Save(CharModel("lstm", 1), path);
        var r = CliRunner.Run("lab", "gates", "--model", path, "--text", "abc饿饭", "--out", dir, "--json");
        Assert.Equal(0, r.ExitCode);
        var json = r.Json;
        Assert.Equal(5, json["steps"]!.GetValue<int>());
        double forget = json["gates"]!["f"]!["mean"]!.GetValue<double>();
        Assert.InRange(forget, 0.0, 1.0);
        string[] csv = File.ReadAllLines(Path.Combine(dir, "gates.csv"));
        Assert.Equal(1 + 4 * 5 * 6, csv.Length);   // header + 4 gates (i, f, o, c) × 5 steps × 6 units
        Assert.StartsWith("0,a,i,0,", csv[1]);
        Assert.True(File.Exists(Path.Combine(dir, "gates.png")));
        Assert.True(File.Exists(Path.Combine(dir, "gates_cell.png")));

        var bad = CliRunner.Run("lab", "gates", "--model", path, "--text", "xyz");
        Assert.Equal(2, bad.ExitCode);
        Assert.Contains("outside the model's vocabulary", bad.Stderr);
    }
}
