using Baton.Data;
using Baton.Models;

namespace Baton.Training;

/// <summary>
/// Class probabilities from a classify <see cref="SequenceModel"/>: p = softmax(head(final state)), computed in float64 from
/// the float32 logits. Raw features are standardised with the model's <see cref="ModelConfig.FeatureMean"/> /
/// <see cref="ModelConfig.FeatureStd"/> first. Sequences go through in batches of up to <see cref="BatchSize"/>, each with its own length.
/// </summary>
internal sealed class ClassifyPredictor
{
    /// <summary>Sequences per forward pass.</summary>
    public const int BatchSize = 64;

    private readonly SequenceModel model;

    /// <summary>Wraps <paramref name="model"/> (task classify, feature input).</summary>
    public ClassifyPredictor(SequenceModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (model.Config.TaskKind != TaskKind.Classify || model.Config.UsesEmbedding)
            throw new ArgumentException($"A feature classify model is needed, got task '{model.Config.Task}'.", nameof(model));
        this.model = model;
    }

    /// <summary>Number of classes C.</summary>
    public int Classes => model.Config.OutputSize;

    /// <summary>Standardises raw features [len, I] with the model's scaling (a copy; unchanged when the model has none).</summary>
    public float[] Scale(ReadOnlySpan<float> raw)
    {
        var config = model.Config;
        return config.FeatureMean.Length == 0 ? raw.ToArray() : SequenceScaling.Apply(raw, config.FeatureMean, config.FeatureStd);
    }

    /// <summary>Probabilities [N, C] of raw sequences.</summary>
    public double[] Probabilities(IReadOnlyList<float[]> raw) => ProbabilitiesScaled([.. raw.Select(x => Scale(x))]);

    /// <summary>Probabilities [N, C] of standardised sequences.</summary>
    public double[] ProbabilitiesScaled(IReadOnlyList<float[]> scaled)
    {
        ArgumentNullException.ThrowIfNull(scaled);
        int I = model.Config.InputSize;
        int C = Classes;
        var probabilities = new double[scaled.Count * C];
        if (scaled.Count == 0)
            return probabilities;
        int maxT = scaled.Max(x => x.Length / I);
        var ws = model.CreateWorkspace(Math.Max(1, maxT), Math.Min(BatchSize, scaled.Count));
        var lengths = new int[BatchSize];
        var x = new float[maxT * BatchSize * I];
        for (int start = 0; start < scaled.Count; start += BatchSize)
        {
            int B = Math.Min(BatchSize, scaled.Count - start);
            int T = 0;
            for (int b = 0; b < B; b++)
            {
                lengths[b] = scaled[start + b].Length / I;
                if (lengths[b] < 1)
                    throw new ArgumentException($"Sequence {start + b} has no steps.", nameof(scaled));
                T = Math.Max(T, lengths[b]);
            }
            var batch = x.AsSpan(0, T * B * I);                        // [T, B, I]
            batch.Clear();
            for (int b = 0; b < B; b++)
            {
                var sequence = scaled[start + b];
                for (int t = 0; t < lengths[b]; t++)
                    sequence.AsSpan(t * I, I).CopyTo(batch.Slice((t * B + b) * I, I));
            }
            var logits = model.ForwardFeatures(ws, batch, T, B, lengths.AsSpan(0, B));   // [B, C]
            for (int b = 0; b < B; b++)
                Softmax(logits.Slice(b * C, C), probabilities.AsSpan((start + b) * C, C));
        }
        return probabilities;
    }

    /// <summary>The most probable class of each standardised sequence.</summary>
    public int[] PredictScaled(IReadOnlyList<float[]> scaled) => ArgMax(ProbabilitiesScaled(scaled), Classes);

    /// <summary>
    /// Probabilities [len, C] after every step of one raw sequence: row t is what the model predicts having read steps 0..t.
    /// A unidirectional model carries its state one step at a time; a bidirectional one reads every prefix again.
    /// </summary>
    public double[] EarlyProbabilities(ReadOnlySpan<float> raw)
    {
        int I = model.Config.InputSize;
        int C = Classes;
        float[] x = Scale(raw);
        int T = x.Length / I;
        var probabilities = new double[T * C];
        if (!model.Config.Bidirectional)
        {
            var stream = model.CreateStream();
            for (int t = 0; t < T; t++)
            {
                var logits = model.Step(stream, x.AsSpan(t * I, I));
                Softmax(logits, probabilities.AsSpan(t * C, C));
            }
            return probabilities;
        }
        var prefixes = new float[T][];
        for (int t = 0; t < T; t++)
            prefixes[t] = x.AsSpan(0, (t + 1) * I).ToArray();
        return ProbabilitiesScaled(prefixes);
    }

    /// <summary>The index of the largest value in each row of <paramref name="rows"/> [N, C] (the lowest on a tie).</summary>
    public static int[] ArgMax(ReadOnlySpan<double> rows, int classes)
    {
        var result = new int[rows.Length / classes];
        for (int n = 0; n < result.Length; n++)
        {
            var row = rows.Slice(n * classes, classes);
            int best = 0;
            for (int c = 1; c < classes; c++)
            {
                if (row[c] > row[best])
                    best = c;
            }
            result[n] = best;
        }
        return result;
    }

    private static void Softmax(ReadOnlySpan<float> logits, Span<double> p)
    {
        double max = double.NegativeInfinity;
        foreach (float v in logits)
            max = Math.Max(max, v);
        double sum = 0;
        for (int c = 0; c < logits.Length; c++)
        {
            p[c] = Math.Exp(logits[c] - max);
            sum += p[c];
        }
        for (int c = 0; c < logits.Length; c++)
            p[c] /= sum;
    }
}
