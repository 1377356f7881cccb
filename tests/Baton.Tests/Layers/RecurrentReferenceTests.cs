using Baton.Layers;
using Baton.Numerics;

namespace Baton.Tests.Layers;

/// <summary>
/// RecurrentStack against the independent float64 reference (<see cref="ReferenceRecurrent"/>): forward values, and
/// every gradient (weights, biases, inputs, h0, c0) against central finite differences of the reference's loss
/// sum(y * R) + sum(hn * S) + sum(cn * Q) in float64. The reference itself is checked against the PyTorch fixtures.
/// </summary>
public sealed class RecurrentReferenceTests
{
    private const double ForwardTolerance = 1e-5;
    private const double GradientTolerance = 1e-4;
    private const double FiniteDifferenceStep = 1e-6;

    internal sealed record Case(RecurrentOptions Options, int T, int B, int[] Lengths, bool WithH0);

    internal static readonly Dictionary<string, Case> Cases = new()
    {
        ["rnn_tanh_2l_bi_var_h0"] = new(new(CellKind.Rnn, 3, 4, 2, true), 5, 3, [5, 2, 4], true),
        ["rnn_relu_1l"] = new(new(CellKind.Rnn, 3, 4, Nonlinearity: Nonlinearity.Relu), 4, 2, [4, 4], false),
        ["gru_2l_bi_var_h0"] = new(new(CellKind.Gru, 3, 4, 2, true), 5, 3, [3, 5, 1], true),
        ["gru_1l"] = new(new(CellKind.Gru, 2, 3), 4, 2, [4, 4], false),
        ["lstm_2l_bi_var_h0"] = new(new(CellKind.Lstm, 3, 4, 2, true), 5, 3, [4, 1, 5], true),
        ["lstm_proj_2l_var_h0"] = new(new(CellKind.Lstm, 3, 4, 2, ProjSize: 2), 4, 3, [2, 4, 3], true),
        ["lstm_3l"] = new(new(CellKind.Lstm, 2, 3, 3), 4, 2, [4, 4], false),
    };

    public static TheoryData<string> CaseNames() => new(Cases.Keys);

    /// <summary>A stack with random weights plus random inputs, states and loss weights.</summary>
    internal sealed class Setup
    {
        public Setup(Case c, ulong seed)
        {
            C = c;
            var rng = new Rng(seed);
            Parameters = new Parameters();
            Stack = new RecurrentStack(c.Options, Parameters);
            Parameters.Freeze();
            foreach (ref float v in Parameters.Data.AsSpan())
                v = rng.Uniform(-0.7f, 0.7f);
            int L = c.Options.Layers, D = Stack.Directions, B = c.B, T = c.T;
            X = Normal(rng, T * B * c.Options.InputSize, 1);
            H0 = c.WithH0 ? Normal(rng, L * D * B * Stack.StateSize, 0.5) : [];
            C0 = c.WithH0 && Stack.HasCellState ? Normal(rng, L * D * B * c.Options.HiddenSize, 0.5) : [];
            R = Normal(rng, T * B * Stack.OutputSize, 1);
            S = Normal(rng, L * D * B * Stack.StateSize, 1);
            Q = Stack.HasCellState ? Normal(rng, L * D * B * c.Options.HiddenSize, 1) : [];
        }

        public Case C { get; }
        public Parameters Parameters { get; }
        public RecurrentStack Stack { get; }
        public float[] X { get; }
        public float[] H0 { get; }
        public float[] C0 { get; }
        public float[] R { get; }
        public float[] S { get; }
        public float[] Q { get; }

        private static float[] Normal(Rng rng, int n, double scale)
        {
            var a = new float[n];
            for (int i = 0; i < n; i++)
                a[i] = (float)(scale * rng.NextNormal());
            return a;
        }

        public (float[] Y, float[] Hn, float[] Cn) EngineForward(RecurrentWorkspace ws)
        {
            var y = new float[C.T * C.B * Stack.OutputSize];
            var hn = new float[S.Length];
            var cn = new float[Q.Length];
            Stack.Forward(ws, X, C.T, C.B, C.Lengths, H0, C0, y, hn, cn);
            return (y, hn, cn);
        }

        public static double[] D(float[] a) => a.Select(v => (double)v).ToArray();

        public double ReferenceLoss(Dictionary<string, double[]> w, double[] x, double[]? h0, double[]? c0)
        {
            var r = new ReferenceRecurrent(C.Options, n => w[n]).Run(x, C.T, C.B, C.Lengths, h0, c0);
            double loss = 0;
            for (int i = 0; i < r.Y.Length; i++)
                loss += r.Y[i] * R[i];
            for (int i = 0; i < r.Hn.Length; i++)
                loss += r.Hn[i] * S[i];
            for (int i = 0; i < r.Cn.Length; i++)
                loss += r.Cn[i] * Q[i];
            return loss;
        }

        public Dictionary<string, double[]> ReferenceWeights() =>
            Parameters.Tensors.ToDictionary(t => t.Name, t => D(Parameters.Value(t).ToArray()));
    }

    /// <summary>Central differences of <paramref name="loss"/> with respect to every entry of <paramref name="v"/>.</summary>
    private static double[] FiniteDifferences(double[] v, Func<double> loss)
    {
        var g = new double[v.Length];
        for (int i = 0; i < v.Length; i++)
        {
            double keep = v[i];
            v[i] = keep + FiniteDifferenceStep;
            double plus = loss();
            v[i] = keep - FiniteDifferenceStep;
            double minus = loss();
            v[i] = keep;
            g[i] = (plus - minus) / (2 * FiniteDifferenceStep);
        }
        return g;
    }

    [Theory]
    [MemberData(nameof(CaseNames))]
    public void Forward_matches_the_float64_reference(string name)
    {
        var s = new Setup(Cases[name], 11);
        var (y, hn, cn) = s.EngineForward(s.Stack.CreateWorkspace(s.C.T, s.C.B));
        var w = s.ReferenceWeights();
        var r = new ReferenceRecurrent(s.C.Options, n => w[n])
            .Run(Setup.D(s.X), s.C.T, s.C.B, s.C.Lengths, s.C.WithH0 ? Setup.D(s.H0) : null, s.C0.Length > 0 ? Setup.D(s.C0) : null);
        Compare.Close("y", y, r.Y, ForwardTolerance);
        Compare.Close("hn", hn, r.Hn, ForwardTolerance);
        Compare.Close("cn", cn, r.Cn, ForwardTolerance);
    }

    [Theory]
    [MemberData(nameof(CaseNames))]
    public void Every_gradient_matches_finite_differences_of_the_float64_reference(string name)
    {
        var s = new Setup(Cases[name], 12);
        var ws = s.Stack.CreateWorkspace(s.C.T, s.C.B);
        s.EngineForward(ws);
        var dx = new float[s.X.Length];
        var dh0 = new float[s.S.Length];
        var dc0 = new float[s.Q.Length];
        s.Parameters.ZeroGrad();
        s.Stack.Backward(ws, s.R, s.S, s.Q, dx, dh0, dc0);

        var w = s.ReferenceWeights();
        double[] x = Setup.D(s.X);
        double[]? h0 = s.C.WithH0 ? Setup.D(s.H0) : null;
        double[]? c0 = s.C0.Length > 0 ? Setup.D(s.C0) : null;
        double Loss() => s.ReferenceLoss(w, x, h0, c0);
        foreach (var t in s.Parameters.Tensors)
            Compare.Close("grad." + t.Name, s.Parameters.Gradient(t), FiniteDifferences(w[t.Name], Loss), GradientTolerance);
        Compare.Close("grad.x", dx, FiniteDifferences(x, Loss), GradientTolerance);
        if (h0 != null)
            Compare.Close("grad.h0", dh0, FiniteDifferences(h0, Loss), GradientTolerance);
        if (c0 != null)
            Compare.Close("grad.c0", dc0, FiniteDifferences(c0, Loss), GradientTolerance);
    }

    [Theory]
    [MemberData(nameof(RecurrentGoldenTests.Cases), MemberType = typeof(RecurrentGoldenTests))]
    public void The_float64_reference_matches_the_pytorch_fixtures(string name)
    {
        var (stack, p, f, T, B) = RecurrentGoldenTests.Build(name);
        int[] lengths = f.Has("lengths") ? f.Ints("lengths") : Enumerable.Repeat(T, B).ToArray();
        var w = p.Tensors.ToDictionary(t => t.Name, t => Setup.D(p.Value(t).ToArray()));
        var r = new ReferenceRecurrent(stack.Options, n => w[n]).Run(Setup.D(f.Floats("x")), T, B, lengths,
            f.Has("h0") ? Setup.D(f.Floats("h0")) : null, f.Has("c0") ? Setup.D(f.Floats("c0")) : null);
        Compare.Close("y", f.Floats("y"), r.Y, ForwardTolerance);
        Compare.Close("hn", f.Floats("hn"), r.Hn, ForwardTolerance);
        if (stack.HasCellState)
            Compare.Close("cn", f.Floats("cn"), r.Cn, ForwardTolerance);
    }
}
