using Baton.Layers;
using Baton.Numerics;

namespace Baton.Lab;

/// <summary>
/// Gate activations of one recurrent layer, step by step and unit by unit, computed by a plain float64 loop over
/// the layer's PyTorch-named weights (gate order LSTM i, f, g, o; GRU r, z, n):
/// LSTM i, f, o ∈ (0, 1) and the cell state c; GRU r, z ∈ (0, 1); each as [T, H], with the hidden state h.
/// </summary>
internal sealed class GateActivations
{
    private GateActivations(string cell, int layer, Dictionary<string, double[,]> gates, double[,] hidden)
    {
        Cell = cell;
        Layer = layer;
        Gates = gates;
        Hidden = hidden;
    }

    /// <summary>lstm or gru.</summary>
    public string Cell { get; }

    /// <summary>The layer k the gates belong to.</summary>
    public int Layer { get; }

    /// <summary>Gate name → values [T, H]: i, f, o, c for the LSTM; r, z for the GRU.</summary>
    public IReadOnlyDictionary<string, double[,]> Gates { get; }

    /// <summary>The layer's output h_t [T, H].</summary>
    public double[,] Hidden { get; }

    /// <summary>The gate names of <paramref name="cell"/>, in the order they are reported.</summary>
    public static string[] Names(string cell) => cell switch
    {
        "lstm" => ["i", "f", "o", "c"],
        "gru" => ["r", "z"],
        _ => throw new ArgumentException($"Gates exist for lstm and gru cells, not '{cell}'.", nameof(cell)),
    };

    /// <summary>
    /// Runs layers 0..<paramref name="layer"/> (forward direction) of the stack named <c>rnn.</c> in
    /// <paramref name="parameters"/> over x [T, I] from a zero state and records the gates of <paramref name="layer"/>.
    /// </summary>
    public static GateActivations Record(Parameters parameters, string cell, int hidden, int layer, ReadOnlySpan<float> x, int T)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        Names(cell);
        ArgumentOutOfRangeException.ThrowIfNegative(layer);
        ArgumentOutOfRangeException.ThrowIfLessThan(T, 1);
        int H = hidden;
        var input = new double[T, x.Length / T];
        for (int t = 0; t < T; t++)
            for (int i = 0; i < input.GetLength(1); i++)
                input[t, i] = x[t * input.GetLength(1) + i];
        Dictionary<string, double[,]> gates = [];
        double[,] output = input;
        for (int k = 0; k <= layer; k++)
        {
            gates = Names(cell).ToDictionary(n => n, _ => new double[T, H]);
            output = RunLayer(parameters, cell, H, k, output, gates);
        }
        return new GateActivations(cell, layer, gates, output);
    }

    private static double[] Read(Parameters p, string name) => p.Value(p[name]).ToArray().Select(v => (double)v).ToArray();

    /// <summary>One layer over input [T, I]; fills <paramref name="gates"/>; returns h [T, H].</summary>
    private static double[,] RunLayer(Parameters p, string cell, int H, int k, double[,] input, Dictionary<string, double[,]> gates)
    {
        int T = input.GetLength(0), I = input.GetLength(1), G = ParameterCount.Gates(cell);
        double[] wih = Read(p, $"rnn.weight_ih_l{k}"), whh = Read(p, $"rnn.weight_hh_l{k}");
        double[] bih = Read(p, $"rnn.bias_ih_l{k}"), bhh = Read(p, $"rnn.bias_hh_l{k}");
        if (wih.Length != G * H * I || whh.Length != G * H * H)
            throw new ArgumentException($"Layer {k} does not have the shapes of a {cell} with H = {H} and I = {I} (a projection is not supported).");
        var h = new double[H];
        var c = new double[H];
        var a = new double[G * H];   // input part W_ih x + b_ih
        var r = new double[G * H];   // recurrent part W_hh h + b_hh
        var output = new double[T, H];
        for (int t = 0; t < T; t++)
        {
            for (int row = 0; row < G * H; row++)
            {
                double sa = bih[row], sr = bhh[row];
                for (int i = 0; i < I; i++)
                    sa += wih[row * I + i] * input[t, i];
                for (int j = 0; j < H; j++)
                    sr += whh[row * H + j] * h[j];
                a[row] = sa;
                r[row] = sr;
            }
            for (int u = 0; u < H; u++)
            {
                if (cell == "lstm")
                {
                    double ig = ScalarMath.Sigmoid(a[u] + r[u]);
                    double fg = ScalarMath.Sigmoid(a[H + u] + r[H + u]);
                    double gg = Math.Tanh(a[2 * H + u] + r[2 * H + u]);
                    double og = ScalarMath.Sigmoid(a[3 * H + u] + r[3 * H + u]);
                    c[u] = fg * c[u] + ig * gg;
                    output[t, u] = og * Math.Tanh(c[u]);
                    gates["i"][t, u] = ig;
                    gates["f"][t, u] = fg;
                    gates["o"][t, u] = og;
                    gates["c"][t, u] = c[u];
                }
                else
                {
                    double rg = ScalarMath.Sigmoid(a[u] + r[u]);
                    double zg = ScalarMath.Sigmoid(a[H + u] + r[H + u]);
                    double n = Math.Tanh(a[2 * H + u] + rg * r[2 * H + u]);
                    output[t, u] = (1 - zg) * n + zg * h[u];
                    gates["r"][t, u] = rg;
                    gates["z"][t, u] = zg;
                }
            }
            for (int u = 0; u < H; u++)
                h[u] = output[t, u];
        }
        return output;
    }
}
