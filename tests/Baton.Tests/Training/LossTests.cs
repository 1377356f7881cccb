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

    /// <summary>Cross-entropy on each SIMD path against float64, relative to the value's magnitude (the softmax kernels' bound).</summary>
    private const double PathTolerance = 2e-6;

    [Theory]
    [InlineData(1f)]   // the gradient of the mean
    [InlineData(4f)]   // × the counted rows: the gradient of the sum
    public void Cross_entropy_matches_float64_on_every_simd_path_with_ignored_rows_and_a_scaled_gradient(float gradScale)
    {
        const int rows = 6, classes = 37, I = Losses.IgnoreIndex;
        var rng = new Rng(21);
        var logits = new float[rows * classes];
        for (int i = 0; i < logits.Length; i++)
            logits[i] = rng.Uniform(-8f, 8f);
        logits[5] = 1e4f;
        int[] targets = [3, I, 36, 0, I, 5];
        const int counted = 4;
        foreach (var path in SimdPaths.Supported)
        {
            var grad = new float[logits.Length];
            var loss = Losses.CrossEntropy(path, logits, targets, classes, grad, gradScale: gradScale);
            Assert.Equal(counted, loss.Count);
            double total = 0, scale = gradScale / (double)counted;
            for (int r = 0; r < rows; r++)
            {
                double max = double.NegativeInfinity, sum = 0;
                for (int j = 0; j < classes; j++)
                    max = Math.Max(max, logits[r * classes + j]);
                for (int j = 0; j < classes; j++)
                    sum += Math.Exp(logits[r * classes + j] - max);
                int t = targets[r];
                if (t != I)
                    total += max + Math.Log(sum) - logits[r * classes + t];
                for (int j = 0; j < classes; j++)
                {
                    double expected = t == I ? 0 : (Math.Exp(logits[r * classes + j] - max) / sum - (j == t ? 1 : 0)) * scale;
                    Assert.True(Math.Abs(grad[r * classes + j] - expected) <= PathTolerance * scale,
                        $"dlogits[{r},{j}] {path}: {grad[r * classes + j]} vs {expected}");
                }
            }
            Assert.True(Math.Abs(loss.SumNats - total) <= PathTolerance * Math.Abs(total), $"loss {path}: {loss.SumNats} vs {total}");

            // In place: the gradient may overwrite the logits, with the same bits.
            var inPlace = (float[])logits.Clone();
            var again = Losses.CrossEntropy(path, inPlace, targets, classes, inPlace, gradScale: gradScale);
            Assert.Equal(loss, again);
            Assert.Equal(grad, inPlace);
        }
    }

    [Fact]
    public void Cross_entropy_rejects_targets_outside_the_classes_and_sizes_that_disagree_naming_the_argument()
    {
        // −100 (PyTorch's ignore_index) is the one padding target; −1 is an error like any other class outside [0, classes).
        Assert.Equal("targets", Assert.Throws<ArgumentOutOfRangeException>(() => Losses.CrossEntropy(new float[6], [-1, 0], 3, [])).ParamName);
        Assert.Equal("targets", Assert.Throws<ArgumentOutOfRangeException>(() => Losses.CrossEntropy(new float[6], [3, 0], 3, [])).ParamName);
        Assert.Equal("logits", Assert.Throws<ArgumentException>(() => Losses.CrossEntropy(new float[5], [1, 0], 3, [])).ParamName);
        Assert.Equal("dLogits", Assert.Throws<ArgumentException>(() => Losses.CrossEntropy(new float[6], [1, 0], 3, new float[5])).ParamName);
    }
}
