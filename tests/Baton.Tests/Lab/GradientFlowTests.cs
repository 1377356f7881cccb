using Baton.Lab.Tasks;
using Baton.Lab;
using Baton.Layers;
using Baton.Numerics;

namespace Baton.Tests.Lab;

public class GradientFlowTests
{
    /// <summary>float32 engine against float64 central differences with step <see cref="Epsilon"/>.</summary>
    private const double RelativeTolerance = 2e-3;
    private const double Epsilon = 1e-5;

    [Theory]
    [InlineData("rnn")]
    [InlineData("lstm")]
    [InlineData("gru")]
    [InlineData("mingru")]
    public void Gradient_norms_match_float64_finite_differences(string cell)
    {
        const int T = 7, S = 2, H = 5;
        var task = new AddingTask();
        var model = new MemoryModel(task, cell, H, new Rng(3));
        var sample = task.CreateBatch(T, S);
        task.Fill(sample, new Rng(4));
        var profile = GradientFlow.Measure(model, sample);

        var reference = new Reference(model, sample);
        for (int t = 0; t <= T; t++)
        {
            double lossGradSq = 0, jacobianSq = 0, cellGradSq = 0;
            for (int s = 0; s < S; s++)
            {
                for (int k = 0; k < H; k++)
                {
                    var (lossPlus, hPlus) = reference.FromState(t, s, k, +Epsilon, cellState: false);
                    var (lossMinus, hMinus) = reference.FromState(t, s, k, -Epsilon, cellState: false);
                    double dLoss = (lossPlus - lossMinus) / (2 * Epsilon);
                    lossGradSq += dLoss * dLoss;
                    for (int j = 0; j < H; j++)
                    {
                        double dh = (hPlus[j] - hMinus[j]) / (2 * Epsilon);
                        jacobianSq += dh * dh;
                    }
                    if (cell == "lstm" && t < T)
                    {
                        double dc = (reference.FromState(t, s, k, +Epsilon, cellState: true).Loss
                            - reference.FromState(t, s, k, -Epsilon, cellState: true).Loss) / (2 * Epsilon);
                        cellGradSq += dc * dc;
                    }
                }
            }
            int d = T - t;
            AssertClose(Math.Sqrt(lossGradSq), profile.LossGradient[d], $"dL/dh at d={d}");
            AssertClose(Math.Sqrt(jacobianSq), profile.Jacobian[d], $"dh_T/dh_t at d={d}");
            if (cell == "lstm" && t < T)
                AssertClose(Math.Sqrt(cellGradSq), profile.CellGradient[d], $"dL/dc at d={d}");
        }
        Assert.Equal(Math.Sqrt(S * H), profile.Jacobian[0], 12);
    }

    [Fact]
    public void Vanishing_distance_is_the_first_drop_below_one_millionth()
    {
        Assert.Equal(3, GradientProfile.VanishingDistance([1.0, 1e-2, 1e-5, 5e-7, 1e-3]));
        Assert.Null(GradientProfile.VanishingDistance([2.0, 1.0, 1e-5]));
    }

    [Fact]
    public void Tanh_rnn_gradient_vanishes_within_a_hundred_steps_at_initialisation_and_the_lstm_cell_path_decays_slower()
    {
        const int T = 100;
        var task = new AddingTask();
        var sample = task.CreateBatch(T, 1);
        task.Fill(sample, new Rng(9));
        var rnn = GradientFlow.Measure(new MemoryModel(task, "rnn", 16, new Rng(1)), sample, jacobian: false);
        var lstm = GradientFlow.Measure(new MemoryModel(task, "lstm", 16, new Rng(1)), sample, jacobian: false);
        int? rnnVanishes = GradientProfile.VanishingDistance(rnn.LossGradient);
        Assert.NotNull(rnnVanishes);
        Assert.InRange(rnnVanishes!.Value, 5, 99);
        // The LSTM's cell path keeps more of the signal over 50 steps than the RNN's state path.
        Assert.True(lstm.CellGradient[50] / lstm.LossGradient[0] > rnn.LossGradient[50] / rnn.LossGradient[0]);
    }

    /// <summary>An independent float64 forward pass over the model's weights, read by PyTorch name.</summary>
    private sealed class Reference
    {
        private readonly string cell;
        private readonly int T, S, I, H;
        private readonly double[] wih, whh, bih, bhh, headW;
        private readonly double headB;
        private readonly double[,,] x;     // [T, S, I]
        private readonly double[] target;  // [S]
        private readonly double[][,] h, c; // states after t steps, [S, H]

        public Reference(MemoryModel model, TaskBatch sample)
        {
            var p = model.Parameters;
            cell = model.Recurrence.Cell;
            T = sample.T;
            S = sample.B;
            I = sample.Features;
            H = model.Recurrence.Hidden;
            double[] Read(string name) => p.Value(p[name]).ToArray().Select(v => (double)v).ToArray();
            if (cell == "mingru")
            {
                wih = Read("rnn.layers.0.to_hidden_and_gate.weight");
                bih = Read("rnn.layers.0.to_hidden_and_gate.bias");
                whh = bhh = [];
            }
            else
            {
                wih = Read("rnn.weight_ih_l0");
                whh = Read("rnn.weight_hh_l0");
                bih = Read("rnn.bias_ih_l0");
                bhh = Read("rnn.bias_hh_l0");
            }
            headW = Read("head.weight");
            headB = Read("head.bias")[0];
            x = new double[T, S, I];
            for (int t = 0; t < T; t++)
                for (int s = 0; s < S; s++)
                    for (int i = 0; i < I; i++)
                        x[t, s, i] = sample.Input(t, s)[i];
            target = sample.Targets.Select(v => (double)v).ToArray();
            h = new double[T + 1][,];
            c = new double[T + 1][,];
            h[0] = new double[S, H];
            c[0] = new double[S, H];
            for (int t = 0; t < T; t++)
            {
                h[t + 1] = new double[S, H];
                c[t + 1] = new double[S, H];
                for (int s = 0; s < S; s++)
                {
                    var (hn, cn) = Step(t, s, Row(h[t], s), Row(c[t], s));
                    for (int k = 0; k < H; k++)
                        (h[t + 1][s, k], c[t + 1][s, k]) = (hn[k], cn[k]);
                }
            }
        }

        /// <summary>Batch-mean loss and h_T of sequence s after nudging unit k of h_t (or c_t) by delta.</summary>
        public (double Loss, double[] LastState) FromState(int t, int s, int k, double delta, bool cellState)
        {
            double loss = 0;
            double[] last = [];
            for (int q = 0; q < S; q++)
            {
                double[] hq = Row(h[t], q), cq = Row(c[t], q);
                if (q == s)
                {
                    if (cellState) cq[k] += delta;
                    else hq[k] += delta;
                }
                for (int step = t; step < T; step++)
                    (hq, cq) = Step(step, q, hq, cq);
                double prediction = headB;
                for (int j = 0; j < H; j++)
                    prediction += headW[j] * hq[j];
                loss += (prediction - target[q]) * (prediction - target[q]) / S;
                if (q == s)
                    last = hq;
            }
            return (loss, last);
        }

        private double[] Row(double[,] m, int s) => Enumerable.Range(0, H).Select(k => m[s, k]).ToArray();

        /// <summary>Gate pre-activations of block g: W_ih[g] x + b_ih[g] (input part) and W_hh[g] h + b_hh[g] (recurrent part).</summary>
        private (double In, double Rec) Pre(int t, int s, double[] hPrev, int row)
        {
            double a = bih[row], r = bhh.Length > 0 ? bhh[row] : 0;
            for (int i = 0; i < I; i++)
                a += wih[row * I + i] * x[t, s, i];
            if (whh.Length > 0)
                for (int j = 0; j < H; j++)
                    r += whh[row * H + j] * hPrev[j];
            return (a, r);
        }

        private static double Sigmoid(double v) => 1 / (1 + Math.Exp(-v));

        private (double[] H, double[] C) Step(int t, int s, double[] hPrev, double[] cPrev)
        {
            var hn = new double[H];
            var cn = new double[H];
            for (int k = 0; k < H; k++)
            {
                switch (cell)
                {
                    case "rnn":
                        {
                            var (a, r) = Pre(t, s, hPrev, k);
                            hn[k] = Math.Tanh(a + r);
                            break;
                        }
                    case "lstm":
                        {
                            var (ia, ir) = Pre(t, s, hPrev, k);
                            var (fa, fr) = Pre(t, s, hPrev, H + k);
                            var (ga, gr) = Pre(t, s, hPrev, 2 * H + k);
                            var (oa, or) = Pre(t, s, hPrev, 3 * H + k);
                            cn[k] = Sigmoid(fa + fr) * cPrev[k] + Sigmoid(ia + ir) * Math.Tanh(ga + gr);
                            hn[k] = Sigmoid(oa + or) * Math.Tanh(cn[k]);
                            break;
                        }
                    case "gru":
                        {
                            var (ra, rr) = Pre(t, s, hPrev, k);
                            var (za, zr) = Pre(t, s, hPrev, H + k);
                            var (na, nr) = Pre(t, s, hPrev, 2 * H + k);
                            double rGate = Sigmoid(ra + rr), z = Sigmoid(za + zr);
                            double n = Math.Tanh(na + rGate * nr);
                            hn[k] = (1 - z) * n + z * hPrev[k];
                            break;
                        }
                    default: // mingru: [k, u] = W x + b (hidden chunk first), z = σ(u), h̃ = g(k), h = (1 − z) h + z h̃
                        {
                            double kk = Pre(t, s, hPrev, k).In, u = Pre(t, s, hPrev, H + k).In;
                            double z = Sigmoid(u), candidate = kk >= 0 ? kk + 0.5 : Sigmoid(kk);
                            hn[k] = (1 - z) * hPrev[k] + z * candidate;
                            break;
                        }
                }
            }
            return (hn, cn);
        }
    }

    private static void AssertClose(double expected, double actual, string what)
    {
        double scale = Math.Max(Math.Abs(expected), 1e-6);
        Assert.True(Math.Abs(expected - actual) <= RelativeTolerance * scale, $"{what}: expected {expected:G6}, got {actual:G6}");
    }
}
