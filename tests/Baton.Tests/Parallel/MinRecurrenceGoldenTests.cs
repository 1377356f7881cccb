using System.Text.Json;
using Baton.Layers;

namespace Baton.Tests.Parallel;

/// <summary>minGRU / minLSTM against tools/golden/mingru.py (PyTorch, the paper's log-space equations, float64).</summary>
public class MinRecurrenceGoldenTests
{
    private const double ForwardRelativeTolerance = 1e-5;
    private const double GradientRelativeTolerance = 1e-4;

    internal sealed class Fixture
    {
        public required string Cell;
        public int Layers, T, B, I, H;
        public required float[] X, H0, Wy, Wn, Y, Hn, Dx, Dh0;
        public required Dictionary<string, float[]> Parameters, Gradients;

        public static Fixture Load(string file)
        {
            using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "golden", "parallel", file)));
            var root = doc.RootElement;
            float[] Array(JsonElement e) => e.EnumerateArray().Select(v => (float)v.GetDouble()).ToArray();
            Dictionary<string, float[]> Map(JsonElement e) => e.EnumerateObject().ToDictionary(p => p.Name, p => Array(p.Value));
            return new Fixture
            {
                Cell = root.GetProperty("cell").GetString()!,
                Layers = root.GetProperty("layers").GetInt32(),
                T = root.GetProperty("T").GetInt32(),
                B = root.GetProperty("B").GetInt32(),
                I = root.GetProperty("I").GetInt32(),
                H = root.GetProperty("H").GetInt32(),
                X = Array(root.GetProperty("x")),
                H0 = Array(root.GetProperty("h0")),
                Wy = Array(root.GetProperty("wy")),
                Wn = Array(root.GetProperty("wn")),
                Y = Array(root.GetProperty("y")),
                Hn = Array(root.GetProperty("hn")),
                Dx = Array(root.GetProperty("dx")),
                Dh0 = Array(root.GetProperty("dh0")),
                Parameters = Map(root.GetProperty("parameters")),
                Gradients = Map(root.GetProperty("gradients")),
            };
        }
    }

    [Theory]
    [InlineData("mingru_l1.json")]
    [InlineData("mingru_l2.json")]
    [InlineData("minlstm_l1.json")]
    [InlineData("minlstm_l2.json")]
    public void Forward_and_gradients_match_pytorch(string file)
    {
        var f = Fixture.Load(file);
        int T = f.T, B = f.B, H = f.H, L = f.Layers;
        var parameters = new Parameters();
        var layers = new MinRecurrence[L];
        for (int k = 0; k < L; k++)
        {
            int input = k == 0 ? f.I : H;
            layers[k] = f.Cell == "mingru"
                ? new MinGru(input, H, parameters, $"rnn.layers.{k}.")
                : new MinLstm(input, H, parameters, $"rnn.layers.{k}.");
        }
        parameters.Freeze();
        foreach (var tensor in parameters.Tensors)
            f.Parameters[tensor.Name].CopyTo(parameters.Value(tensor));
        Assert.Equal(f.Parameters.Keys.Order(), parameters.Tensors.Select(t => t.Name).Order());

        var caches = layers.Select(l => l.CreateCache(T, B)).ToArray();
        var outputs = new float[L][];
        var hn = new float[L * B * H];
        for (int k = 0; k < L; k++)
        {
            outputs[k] = new float[T * B * H];
            var input = k == 0 ? f.X : outputs[k - 1];
            layers[k].Forward(caches[k], input, T, B, [], f.H0.AsSpan(k * B * H, B * H), outputs[k], hn.AsSpan(k * B * H, B * H));
        }
        AssertClose(f.Y, outputs[L - 1], ForwardRelativeTolerance, "y");
        AssertClose(f.Hn, hn, ForwardRelativeTolerance, "hn");

        var dh0 = new float[L * B * H];
        var dy = f.Wy;
        float[] dx = [];
        for (int k = L - 1; k >= 0; k--)
        {
            dx = new float[T * B * (k == 0 ? f.I : H)];
            layers[k].Backward(caches[k], dy, f.Wn.AsSpan(k * B * H, B * H), dx, dh0.AsSpan(k * B * H, B * H));
            dy = dx;
        }
        AssertClose(f.Dx, dx, GradientRelativeTolerance, "dx");
        AssertClose(f.Dh0, dh0, GradientRelativeTolerance, "dh0");
        foreach (var tensor in parameters.Tensors)
            AssertClose(f.Gradients[tensor.Name], parameters.Gradient(tensor).ToArray(), GradientRelativeTolerance, tensor.Name);
    }

    /// <summary>|actual − expected| ≤ tolerance · max(|expected|, max|expected| · 1e-2) elementwise.</summary>
    internal static void AssertClose(float[] expected, float[] actual, double tolerance, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        double scale = expected.Max(v => Math.Abs((double)v));
        for (int i = 0; i < expected.Length; i++)
        {
            double allowed = tolerance * Math.Max(Math.Abs(expected[i]), 1e-2 * scale);
            Assert.True(Math.Abs(actual[i] - expected[i]) <= allowed, $"{what}[{i}]: {actual[i]} vs {expected[i]}");
        }
    }
}
