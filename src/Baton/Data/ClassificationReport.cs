namespace Baton.Data;

/// <summary>
/// Scores of predicted class ids against true ones: the confusion matrix C[true, predicted], accuracy = Σ C[c, c] / n,
/// per class precision_c = C[c, c] / Σ_t C[t, c], recall_c = C[c, c] / Σ_p C[c, p] (0 where the denominator is 0, as
/// scikit-learn's zero_division=0), F1_c = 2·P·R / (P + R) (0 when P + R = 0), and macro F1 = the mean of F1_c over every class.
/// </summary>
internal sealed class ClassificationReport
{
    /// <summary>Scores <paramref name="predicted"/> against <paramref name="actual"/>, both in [0, <paramref name="classes"/>).</summary>
    public ClassificationReport(IReadOnlyList<int> actual, IReadOnlyList<int> predicted, int classes)
    {
        ArgumentNullException.ThrowIfNull(actual);
        ArgumentNullException.ThrowIfNull(predicted);
        ArgumentOutOfRangeException.ThrowIfLessThan(classes, 1, nameof(classes));
        if (actual.Count != predicted.Count)
            throw new ArgumentException($"{actual.Count} true labels but {predicted.Count} predictions.", nameof(predicted));
        Classes = classes;
        Confusion = new int[classes, classes];
        for (int i = 0; i < actual.Count; i++)
        {
            if ((uint)actual[i] >= (uint)classes || (uint)predicted[i] >= (uint)classes)
                throw new ArgumentOutOfRangeException(nameof(actual), $"sequence {i}: class ids {actual[i]}, {predicted[i]} outside [0, {classes}).");
            Confusion[actual[i], predicted[i]]++;
        }
        Count = actual.Count;
        Precision = new double[classes];
        Recall = new double[classes];
        F1 = new double[classes];
        Support = new int[classes];
        int correct = 0;
        for (int c = 0; c < classes; c++)
        {
            int tp = Confusion[c, c];
            int predictedC = 0, actualC = 0;
            for (int k = 0; k < classes; k++)
            {
                predictedC += Confusion[k, c];
                actualC += Confusion[c, k];
            }
            correct += tp;
            Support[c] = actualC;
            Precision[c] = predictedC == 0 ? 0 : (double)tp / predictedC;
            Recall[c] = actualC == 0 ? 0 : (double)tp / actualC;
            double sum = Precision[c] + Recall[c];
            F1[c] = sum == 0 ? 0 : 2 * Precision[c] * Recall[c] / sum;
        }
        Accuracy = Count == 0 ? 0 : (double)correct / Count;
        MacroF1 = F1.Average();
    }

    /// <summary>Number of classes.</summary>
    public int Classes { get; }

    /// <summary>Number of scored sequences.</summary>
    public int Count { get; }

    /// <summary>C[true, predicted].</summary>
    public int[,] Confusion { get; }

    /// <summary>Fraction predicted right.</summary>
    public double Accuracy { get; }

    /// <summary>Per-class precision.</summary>
    public double[] Precision { get; }

    /// <summary>Per-class recall.</summary>
    public double[] Recall { get; }

    /// <summary>Per-class F1.</summary>
    public double[] F1 { get; }

    /// <summary>Sequences of each true class.</summary>
    public int[] Support { get; }

    /// <summary>Unweighted mean of <see cref="F1"/>.</summary>
    public double MacroF1 { get; }
}
