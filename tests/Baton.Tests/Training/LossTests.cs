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
}
