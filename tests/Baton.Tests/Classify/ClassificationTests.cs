using Baton.Data;
using Baton.Training;

namespace Baton.Tests.Classify;

public sealed class ClassificationTests
{
    private const double Exact = 1e-12;

    [Fact]
    public void Report_matches_hand_computed_precision_recall_and_f1()
    {
        // true:      0 0 0 1 1 2
        // predicted: 0 0 1 1 2 2
        var report = new ClassificationReport([0, 0, 0, 1, 1, 2], [0, 0, 1, 1, 2, 2], 3);
        Assert.Equal(4.0 / 6, report.Accuracy, Exact);
        Assert.Equal([1.0, 0.5, 0.5], report.Precision);
        Assert.Equal([2.0 / 3, 0.5, 1.0], report.Recall);
        Assert.Equal(0.8, report.F1[0], Exact);
        Assert.Equal(0.5, report.F1[1], Exact);
        Assert.Equal(2.0 / 3, report.F1[2], Exact);
        Assert.Equal((0.8 + 0.5 + 2.0 / 3) / 3, report.MacroF1, Exact);
        Assert.Equal(1, report.Confusion[0, 1]);
        Assert.Equal([3, 2, 1], report.Support);
    }

    [Fact]
    public void A_class_never_predicted_has_precision_zero_not_nan()
    {
        var report = new ClassificationReport([0, 1], [0, 0], 2);
        Assert.Equal(0, report.Precision[1]);
        Assert.Equal(0, report.F1[1]);
    }

    [Fact]
    public void Split_is_by_sequence_stratified_disjoint_and_fixed_by_the_seed()
    {
        int[] labels = [.. Enumerable.Range(0, 200).Select(i => i < 140 ? 0 : i < 180 ? 1 : 2)];
        var split = StratifiedSplit.Create(labels, 3, seed: 5);
        int[] all = [.. split.Train, .. split.Validation, .. split.Test];
        Assert.Equal(Enumerable.Range(0, 200), all.Order());
        // 15% of 140, 40 and 20 per class, rounded.
        Assert.Equal([21, 6, 3], Enumerable.Range(0, 3).Select(c => split.Test.Count(i => labels[i] == c)));
        Assert.Equal([21, 6, 3], Enumerable.Range(0, 3).Select(c => split.Validation.Count(i => labels[i] == c)));
        Assert.Equal(split.Test, StratifiedSplit.Create(labels, 3, seed: 5).Test);
        Assert.NotEqual(split.Test, StratifiedSplit.Create(labels, 3, seed: 6).Test);
    }

    [Fact]
    public void A_class_of_two_sequences_gives_one_to_test_and_keeps_one_to_train()
    {
        var split = StratifiedSplit.Create([0, 0, 1, 1, 1], 2, seed: 1);
        Assert.Single(split.Test, i => i < 2);
        Assert.Single(split.Train, i => i < 2);
        Assert.Equal(1, split.Train.Count(i => i >= 2));
    }

    [Fact]
    public void Weighted_cross_entropy_matches_a_float64_reference_and_its_gradient()
    {
        const int B = 3, C = 4;
        float[] logits = [0.5f, -1f, 2f, 0.1f, 1.5f, 0.2f, -0.3f, 0f, -2f, 3f, 1f, 0.5f];
        int[] targets = [2, 0, 3];
        float[] weights = [0.5f, 2f, 1f, 3f];
        var grad = new float[B * C];
        var loss = Losses.WeightedCrossEntropy(logits, targets, C, weights, grad);
        double sum = 0;
        for (int r = 0; r < B; r++)
        {
            double max = logits.Skip(r * C).Take(C).Max();
            double z = Enumerable.Range(0, C).Sum(c => Math.Exp(logits[r * C + c] - max));
            double w = weights[targets[r]];
            sum += w * (max + Math.Log(z) - logits[r * C + targets[r]]);
            for (int c = 0; c < C; c++)
            {
                double expected = w * (Math.Exp(logits[r * C + c] - max) / z - (c == targets[r] ? 1 : 0)) / B;
                Assert.Equal(expected, grad[r * C + c], 1e-6);
            }
        }
        Assert.Equal(sum / B, loss.Mean, 1e-6);
        Assert.Equal(B, loss.Count);
    }

    [Fact]
    public void Pooled_baseline_is_deterministic_and_separates_classes_by_mean_and_last_step()
    {
        // Class 1 ends high, class 0 ends low; their means are equal, so only the last step tells them apart.
        var sequences = new List<float[]>();
        var labels = new List<int>();
        for (int i = 0; i < 40; i++)
        {
            int label = i % 2;
            float end = label == 1 ? 1 + 0.01f * i : -1 - 0.01f * i;
            sequences.Add([-end, end, -end, end]);
            labels.Add(label);
        }
        var a = PooledLogisticRegression.Fit(sequences, labels, 1, 2);
        var b = PooledLogisticRegression.Fit(sequences, labels, 1, 2);
        Assert.Equal(a.Probabilities(sequences[3]), b.Probabilities(sequences[3]));
        Assert.All(Enumerable.Range(0, 40), i => Assert.Equal(labels[i], a.Predict(sequences[i])));
        Assert.Equal([0.5, 1.0, 1.0, 1.0], PooledLogisticRegression.Summary([0f, 1f, 1f, 1f], 2));
    }
}
