using Baton.Layers;

namespace Baton.Tests.Layers;

/// <summary>
/// An independent float64 model of PyTorch's nn.RNN / nn.LSTM / nn.GRU in plain loops, one sequence and one step at a
/// time (no packing, no GEMM, no code shared with the engine). Weights are looked up by state-dict name.
/// </summary>
internal sealed class ReferenceRecurrent(RecurrentOptions o, Func<string, double[]> weight)
{
    private int D => o.Bidirectional ? 2 : 1;
    private int S => o.ProjSize > 0 ? o.ProjSize : o.HiddenSize;
    private int H => o.HiddenSize;
    private bool Lstm => o.Cell == CellKind.Lstm;

    public sealed record Result(double[] Y, double[] Hn, double[] Cn);

    /// <summary>x [T, B, I]; lengths [B]; h0 [L*D, B, S] or null; c0 [L*D, B, H] or null.</summary>
    public Result Run(double[] x, int T, int B, int[] lengths, double[]? h0, double[]? c0)
    {
        int L = o.Layers;
        int inWidth = o.InputSize;
        double[] input = x;
        double[] hn = new double[L * D * B * S];
        double[] cn = new double[Lstm ? L * D * B * H : 0];
        double[] output = [];
        for (int l = 0; l < L; l++)
        {
            output = new double[T * B * D * S];
            for (int d = 0; d < D; d++)
            {
                string sfx = $"_l{l}" + (d == 1 ? "_reverse" : "");
                int ld = l * D + d;
                for (int b = 0; b < B; b++)
                {
                    var h = new double[S];
                    var c = new double[H];
                    if (h0 != null)
                        Array.Copy(h0, (ld * B + b) * S, h, 0, S);
                    if (c0 != null)
                        Array.Copy(c0, (ld * B + b) * H, c, 0, H);
                    int len = lengths[b];
                    for (int k = 0; k < len; k++)
                    {
                        int t = d == 0 ? k : len - 1 - k;
                        var xt = new double[inWidth];
                        Array.Copy(input, (t * B + b) * inWidth, xt, 0, inWidth);
                        (h, c) = Cell(sfx, inWidth, xt, h, c);
                        Array.Copy(h, 0, output, (t * B + b) * D * S + d * S, S);
                    }
                    Array.Copy(h, 0, hn, (ld * B + b) * S, S);
                    if (Lstm)
                        Array.Copy(c, 0, cn, (ld * B + b) * H, H);
                }
            }
            input = output;
            inWidth = D * S;
        }
        return new Result(output, hn, cn);
    }

    private static double Sigmoid(double v) => 1 / (1 + Math.Exp(-v));

    /// <summary>Row <paramref name="row"/> of w [·, cols] dotted with v.</summary>
    private static double Affine(double[] w, int cols, int row, double[] v)
    {
        double s = 0;
        for (int j = 0; j < cols; j++)
            s += w[row * cols + j] * v[j];
        return s;
    }

    private (double[] H, double[] C) Cell(string sfx, int I, double[] x, double[] h, double[] c)
    {
        double[] wIh = weight("rnn.weight_ih" + sfx), wHh = weight("rnn.weight_hh" + sfx);
        double[] bIh = weight("rnn.bias_ih" + sfx), bHh = weight("rnn.bias_hh" + sfx);
        var hNew = new double[S];
        var cNew = new double[H];
        switch (o.Cell)
        {
            case CellKind.Rnn:
                for (int j = 0; j < H; j++)
                {
                    double pre = Affine(wIh, I, j, x) + bIh[j] + Affine(wHh, S, j, h) + bHh[j];
                    hNew[j] = o.Nonlinearity == Nonlinearity.Relu ? Math.Max(0, pre) : Math.Tanh(pre);
                }
                return (hNew, cNew);
            case CellKind.Gru:
                for (int j = 0; j < H; j++)
                {
                    double r = Sigmoid(Affine(wIh, I, j, x) + bIh[j] + Affine(wHh, S, j, h) + bHh[j]);
                    double z = Sigmoid(Affine(wIh, I, H + j, x) + bIh[H + j] + Affine(wHh, S, H + j, h) + bHh[H + j]);
                    double n = Math.Tanh(Affine(wIh, I, 2 * H + j, x) + bIh[2 * H + j] + r * (Affine(wHh, S, 2 * H + j, h) + bHh[2 * H + j]));
                    hNew[j] = (1 - z) * n + z * h[j];
                }
                return (hNew, cNew);
            default:
                var m = new double[H];
                for (int j = 0; j < H; j++)
                {
                    double Gate(int q) => Affine(wIh, I, q * H + j, x) + bIh[q * H + j] + Affine(wHh, S, q * H + j, h) + bHh[q * H + j];
                    double i = Sigmoid(Gate(0)), f = Sigmoid(Gate(1)), g = Math.Tanh(Gate(2)), og = Sigmoid(Gate(3));
                    cNew[j] = f * c[j] + i * g;
                    m[j] = og * Math.Tanh(cNew[j]);
                }
                if (o.ProjSize == 0)
                    return (m, cNew);
                double[] wHr = weight("rnn.weight_hr" + sfx);
                for (int p = 0; p < S; p++)
                    hNew[p] = Affine(wHr, H, p, m);
                return (hNew, cNew);
        }
    }
}
