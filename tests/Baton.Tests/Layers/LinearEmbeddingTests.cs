using Baton.Layers;
using Baton.Numerics;

namespace Baton.Tests.Layers;

/// <summary>Linear and Embedding against plain float64 loops.</summary>
public sealed class LinearEmbeddingTests
{
    private const double Tolerance = 1e-6;

    [Fact]
    public void Linear_forward_and_backward_match_plain_loops()
    {
        const int In = 5, Out = 3, Rows = 4;
        var p = new Parameters();
        var linear = new Linear(In, Out, p, "head.");
        p.Freeze();
        linear.ResetParameters(new Rng(1));
        var rng = new Rng(2);
        var x = Enumerable.Range(0, Rows * In).Select(_ => (float)rng.NextNormal()).ToArray();
        var dy = Enumerable.Range(0, Rows * Out).Select(_ => (float)rng.NextNormal()).ToArray();
        float[] w = p.Value(p["head.weight"]).ToArray(), b = p.Value(p["head.bias"]).ToArray();

        var y = new float[Rows * Out];
        linear.Forward(x, Rows, y);
        var dx = new float[Rows * In];
        p.Grad.AsSpan().Fill(1f); // gradients accumulate
        linear.Backward(x, dy, Rows, dx);

        var yRef = new double[Rows * Out];
        var dwRef = new double[Out * In];
        var dbRef = new double[Out];
        var dxRef = new double[Rows * In];
        for (int r = 0; r < Rows; r++)
        {
            for (int o = 0; o < Out; o++)
            {
                double s = b[o];
                for (int i = 0; i < In; i++)
                {
                    s += (double)w[o * In + i] * x[r * In + i];
                    dwRef[o * In + i] += (double)dy[r * Out + o] * x[r * In + i];
                    dxRef[r * In + i] += (double)dy[r * Out + o] * w[o * In + i];
                }
                yRef[r * Out + o] = s;
                dbRef[o] += dy[r * Out + o];
            }
        }
        Compare.Close("y", y, yRef, Tolerance);
        Compare.Close("dx", dx, dxRef, Tolerance);
        Compare.Close("dW", p.Gradient(p["head.weight"]), dwRef.Select(v => v + 1).ToArray(), Tolerance);
        Compare.Close("db", p.Gradient(p["head.bias"]), dbRef.Select(v => v + 1).ToArray(), Tolerance);
        Assert.All(p.Value(p["head.weight"]).ToArray(), v => Assert.InRange(v, -1 / MathF.Sqrt(In), 1 / MathF.Sqrt(In)));
    }

    [Fact]
    public void Linear_rejects_wrong_widths()
    {
        var p = new Parameters();
        var linear = new Linear(3, 2, p, "head.");
        p.Freeze();
        Assert.Equal("x", Assert.Throws<ArgumentException>(() => linear.Forward(new float[5], 2, new float[4])).ParamName);
        Assert.Equal("y", Assert.Throws<ArgumentException>(() => linear.Forward(new float[6], 2, new float[5])).ParamName);
    }

    [Fact]
    public void Embedding_looks_rows_up_and_accumulates_gradients_of_repeated_ids()
    {
        var p = new Parameters();
        var emb = new Embedding(4, 3, p, "embedding.");
        p.Freeze();
        emb.ResetParameters(new Rng(3));
        int[] ids = [2, 0, 2];
        var y = new float[ids.Length * 3];
        emb.Forward(ids, y);
        var w = p.Value(p["embedding.weight"]).ToArray();
        for (int r = 0; r < ids.Length; r++)
            Assert.Equal(w.AsSpan(ids[r] * 3, 3).ToArray(), y.AsSpan(r * 3, 3).ToArray());
        float[] dy = [1, 2, 3, 4, 5, 6, 10, 20, 30];
        emb.Backward(ids, dy);
        Assert.Equal(new float[] { 4, 5, 6, 0, 0, 0, 11, 22, 33, 0, 0, 0 }, p.Grad);
        Assert.Throws<ArgumentOutOfRangeException>(() => emb.Forward([4], new float[3]));
    }
}
