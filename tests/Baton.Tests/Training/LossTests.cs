using Baton.Numerics;
using Baton.Layers;
using Baton.Training;

namespace Baton.Tests.Training;

public class LossTests
{
    private const double LossTolerance = 1e-6;
    private const float GradTolerance = 1e-6f;

    private static void AssertClose(float[] expected, ReadOnlySpan<float> actual, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= GradTolerance * (1 + Math.Abs(expected[i])), $"{what}[{i}]: {actual[i]} vs torch {expected[i]}");
    }

    [Fact]
    public void Cross_entropy_ignores_padding_and_matches_torch_value_and_gradient()
    {
        var ce = TrainingGolden.Json("losses.json").GetProperty("ce");
        var logits = TrainingGolden.Floats(ce.GetProperty("logits"));
        var targets = TrainingGolden.Ints(ce.GetProperty("targets"));
        int classes = ce.GetProperty("classes").GetInt32();
        var grad = new float[logits.Length];
        var loss = Losses.CrossEntropy(logits, targets, classes, grad);
        Assert.Equal(7, loss.Count);
        Assert.Equal(ce.GetProperty("loss").GetDouble(), loss.Mean, LossTolerance);
        AssertClose(TrainingGolden.Floats(ce.GetProperty("grad")), grad, "dlogits");
        Assert.Equal(Math.Exp(loss.Mean), loss.Perplexity, 12);
        Assert.Equal(loss.Mean / Math.Log(2), loss.BitsPerToken, 12);
    }

    [Theory]
    [InlineData("mse")]
    [InlineData("mae")]
    [InlineData("huber")]
    public void Regression_losses_match_torch_value_and_gradient(string name)
    {
        var golden = TrainingGolden.Json("losses.json");
        var pred = TrainingGolden.Floats(golden.GetProperty("pred"));
        var target = TrainingGolden.Floats(golden.GetProperty("target"));
        var grad = new float[pred.Length];
        double loss = name switch
        {
            "mse" => Losses.Mse(pred, target, grad),
            "mae" => Losses.Mae(pred, target, grad),
            _ => Losses.Huber(pred, target, grad, 0.7f),
        };
        Assert.Equal(golden.GetProperty(name).GetProperty("loss").GetDouble(), loss, LossTolerance);
        AssertClose(TrainingGolden.Floats(golden.GetProperty(name).GetProperty("grad")), grad, name);
    }

    [Fact]
    public void Clip_grad_norm_matches_torch()
    {
        var clip = TrainingGolden.Json("losses.json").GetProperty("clip");
        var p = new Parameters();
        p.Add("a", 5);
        p.Add("b", 2, 3);
        p.Freeze();
        TrainingGolden.Floats(clip.GetProperty("grad")).CopyTo(p.Grad, 0);
        double norm = GradientClipping.ClipByGlobalNorm(p, clip.GetProperty("max_norm").GetDouble());
        Assert.Equal(clip.GetProperty("norm").GetDouble(), norm, 1e-5);
        AssertClose(TrainingGolden.Floats(clip.GetProperty("clipped")), p.Grad, "clipped");
        Assert.Equal(1.5, GradientClipping.GlobalNorm(p.Grad), 1e-5);
    }

    [Fact]
    public void Clip_by_value_clamps_every_gradient()
    {
        var p = new Parameters();
        p.Add("a", 4);
        p.Freeze();
        float[] g = [-3, -0.5f, 0.5f, 3];
        g.CopyTo(p.Grad, 0);
        GradientClipping.ClipByValue(p, 1f);
        Assert.Equal([-1f, -0.5f, 0.5f, 1f], p.Grad);
    }

    [Fact]
    public void Cross_entropy_with_every_target_ignored_counts_nothing()
    {
        float[] logits = [1, 2, 3, 4];
        var grad = new float[4];
        grad.AsSpan().Fill(9);
        var loss = Losses.CrossEntropy(logits, [Losses.IgnoreIndex, Losses.IgnoreIndex], 2, grad);
        Assert.Equal(0, loss.Count);
        Assert.True(double.IsNaN(loss.Mean));
        Assert.All(grad, g => Assert.Equal(0f, g));
    }

    [Theory]
    [InlineData(3, 7)]
    [InlineData(50, 100)]
    [InlineData(20, 5000)]
    public void Cross_entropy_matches_float64_for_large_vocabularies_and_aliased_gradients(int rows, int classes)
    {
        // A Chinese character vocabulary runs to thousands of classes; the row sums are float32 SIMD sums.
        var rng = new Rng(9);
        var logits = new float[rows * classes];
        for (int i = 0; i < logits.Length; i++)
            logits[i] = rng.Uniform(-30f, 12f);
        var targets = new int[rows];
        for (int r = 0; r < rows; r++)
            targets[r] = r % 4 == 3 ? Losses.IgnoreIndex : (int)(rng.Uniform(0f, 1f) * (classes - 1));
        int counted = targets.Count(t => t != Losses.IgnoreIndex);
        double expectedSum = 0;
        var expectedGrad = new double[logits.Length];
        for (int r = 0; r < rows; r++)
        {
            if (targets[r] == Losses.IgnoreIndex)
                continue;
            var row = logits.AsSpan(r * classes, classes);
            double max = row.ToArray().Max(), z = 0;
            foreach (float v in row)
                z += Math.Exp(v - max);
            double logZ = max + Math.Log(z);
            expectedSum += logZ - row[targets[r]];
            for (int c = 0; c < classes; c++)
                expectedGrad[r * classes + c] = (Math.Exp(row[c] - logZ) - (c == targets[r] ? 1 : 0)) / counted;
        }
        var grad = (float[])logits.Clone();                  // aliased: the gradient overwrites the logits
        var loss = Losses.CrossEntropy(grad, targets, classes, grad);
        Assert.Equal(counted, loss.Count);
        Assert.True(Math.Abs(loss.Mean - expectedSum / counted) <= LossTolerance * (1 + Math.Abs(expectedSum / counted)),
            $"loss {loss.Mean} vs float64 {expectedSum / counted}");
        for (int i = 0; i < grad.Length; i++)
            Assert.True(Math.Abs(grad[i] - expectedGrad[i]) <= GradTolerance * (1e-3 + Math.Abs(expectedGrad[i])),
                $"dlogits[{i}]: {grad[i]} vs float64 {expectedGrad[i]}");
    }
}
