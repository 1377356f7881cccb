using Baton.Layers;

namespace Baton.Tests.Interop;

/// <summary>
/// Independent float64 implementation of DESIGN.md's PyTorch module (embedding or features →
/// nn.LSTM / nn.GRU / nn.RNN, time-major, multi-layer, bidirectional → nn.Linear head), written
/// from PyTorch's documented equations and reading PyTorch's gate layout directly.
/// </summary>
internal static class TorchReference
{
    public sealed record Result(double[] Y, double[] Output, double[] Hn, double[] Cn);

    /// <param name="cell">lstm, gru, rnn, rnn_relu.</param>
    /// <param name="x">[T,B,I] inputs (already embedded).</param>
    /// <param name="h0">[L*D,B,H] or empty for zeros.</param>
    /// <param name="c0">[L*D,B,H] or empty for zeros.</param>
    /// <param name="finalStateHead">Head reads the concat over directions of the last layer's final state, [B, D*H].</param>
    public static Result Forward(Parameters p, string cell, int layers, bool bidirectional, int H, int outputSize,
        double[] x, int T, int B, int I, double[] h0, double[] c0, bool finalStateHead)
    {
        int D = bidirectional ? 2 : 1;
        int G = cell switch { "lstm" => 4, "gru" => 3, _ => 1 };
        var hn = new double[layers * D * B * H];
        var cn = new double[layers * D * B * H];
        double[] input = x;
        int inputSize = I;
        for (int l = 0; l < layers; l++)
        {
            var y = new double[T * B * D * H];
            for (int d = 0; d < D; d++)
            {
                string suffix = $"_l{l}{(d == 1 ? "_reverse" : "")}";
                double[] wih = Get(p, "rnn.weight_ih" + suffix), whh = Get(p, "rnn.weight_hh" + suffix);
                double[] bih = Get(p, "rnn.bias_ih" + suffix), bhh = Get(p, "rnn.bias_hh" + suffix);
                int state = l * D + d;
                var h = new double[B * H];
                var c = new double[B * H];
                if (h0.Length > 0)
                    Array.Copy(h0, state * B * H, h, 0, B * H);
                if (c0.Length > 0)
                    Array.Copy(c0, state * B * H, c, 0, B * H);
                for (int step = 0; step < T; step++)
                {
                    int t = d == 0 ? step : T - 1 - step;
                    for (int b = 0; b < B; b++)
                    {
                        var gi = new double[G * H];
                        var gh = new double[G * H];
                        for (int row = 0; row < G * H; row++)
                        {
                            double si = bih[row], sh = bhh[row];
                            for (int k = 0; k < inputSize; k++)
                                si += wih[row * inputSize + k] * input[(t * B + b) * inputSize + k];
                            for (int k = 0; k < H; k++)
                                sh += whh[row * H + k] * h[b * H + k];
                            gi[row] = si;
                            gh[row] = sh;
                        }
                        for (int j = 0; j < H; j++)
                        {
                            double hNew;
                            switch (cell)
                            {
                                case "lstm":
                                {
                                    double ig = Sigmoid(gi[j] + gh[j]), fg = Sigmoid(gi[H + j] + gh[H + j]);
                                    double gg = Math.Tanh(gi[2 * H + j] + gh[2 * H + j]), og = Sigmoid(gi[3 * H + j] + gh[3 * H + j]);
                                    double cNew = fg * c[b * H + j] + ig * gg;
                                    c[b * H + j] = cNew;
                                    hNew = og * Math.Tanh(cNew);
                                    break;
                                }
                                case "gru":
                                {
                                    double r = Sigmoid(gi[j] + gh[j]), z = Sigmoid(gi[H + j] + gh[H + j]);
                                    double n = Math.Tanh(gi[2 * H + j] + r * gh[2 * H + j]);
                                    hNew = (1 - z) * n + z * h[b * H + j];
                                    break;
                                }
                                case "rnn_relu":
                                    hNew = Math.Max(0, gi[j] + gh[j]);
                                    break;
                                default:
                                    hNew = Math.Tanh(gi[j] + gh[j]);
                                    break;
                            }
                            gh[j] = hNew;   // stash; h is updated after all units of this row
                        }
                        for (int j = 0; j < H; j++)
                        {
                            h[b * H + j] = gh[j];
                            y[((t * B + b) * D + d) * H + j] = gh[j];
                        }
                    }
                }
                Array.Copy(h, 0, hn, state * B * H, B * H);
                Array.Copy(c, 0, cn, state * B * H, B * H);
            }
            input = y;
            inputSize = D * H;
        }

        double[] yLast = input;
        double[] hw = Get(p, "head.weight"), hb = Get(p, "head.bias");
        int rows = finalStateHead ? B : T * B;
        if (finalStateHead)
        {
            // concat over directions of the last layer's final state: [B, D*H]
            input = new double[B * D * H];
            for (int d = 0; d < D; d++)
                for (int b = 0; b < B; b++)
                    Array.Copy(hn, (((layers - 1) * D + d) * B + b) * H, input, (b * D + d) * H, H);
        }
        var output = new double[rows * outputSize];
        for (int r = 0; r < rows; r++)
        {
            for (int o = 0; o < outputSize; o++)
            {
                double s = hb[o];
                for (int k = 0; k < inputSize; k++)
                    s += hw[o * inputSize + k] * input[r * inputSize + k];
                output[r * outputSize + o] = s;
            }
        }
        return new Result(yLast, output, hn, cell == "lstm" ? cn : []);
    }

    /// <summary>Embedding lookup: ids [T*B] → [T*B,E].</summary>
    public static double[] Embed(Parameters p, long[] ids, int E)
    {
        double[] table = Get(p, "embedding.weight");
        var x = new double[ids.Length * E];
        for (int n = 0; n < ids.Length; n++)
            Array.Copy(table, ids[n] * E, x, n * E, E);
        return x;
    }

    private static double[] Get(Parameters p, string name) => Array.ConvertAll(p.Value(p[name]).ToArray(), v => (double)v);

    private static double Sigmoid(double v) => 1 / (1 + Math.Exp(-v));
}
