namespace Baton.Data;

/// <summary>
/// Per-feature standardisation of sequences, x' = (x − mean) / std, with mean and (population) std taken over every
/// step of the training sequences in float64; a feature constant over them gets std = 1.
/// </summary>
internal static class SequenceScaling
{
    /// <summary>Mean and std of each of the <paramref name="inputSize"/> features over every step of <paramref name="sequences"/>.</summary>
    public static (float[] Mean, float[] Std) Fit(IEnumerable<float[]> sequences, int inputSize)
    {
        ArgumentNullException.ThrowIfNull(sequences);
        var sum = new double[inputSize];
        var sumSq = new double[inputSize];
        long n = 0;
        foreach (var x in sequences)
        {
            for (int i = 0; i < x.Length; i++)
                sum[i % inputSize] += x[i];
            n += x.Length / inputSize;
        }
        var mean = new double[inputSize];
        for (int f = 0; f < inputSize; f++)
            mean[f] = n == 0 ? 0 : sum[f] / n;
        foreach (var x in sequences)
        {
            for (int i = 0; i < x.Length; i++)
            {
                double d = x[i] - mean[i % inputSize];
                sumSq[i % inputSize] += d * d;
            }
        }
        var std = new float[inputSize];
        for (int f = 0; f < inputSize; f++)
        {
            double s = n == 0 ? 0 : Math.Sqrt(sumSq[f] / n);
            std[f] = s > 1e-12 ? (float)s : 1f;
        }
        return ([.. mean.Select(m => (float)m)], std);
    }

    /// <summary>A standardised copy of <paramref name="x"/> [len, I].</summary>
    public static float[] Apply(ReadOnlySpan<float> x, ReadOnlySpan<float> mean, ReadOnlySpan<float> std)
    {
        int I = mean.Length;
        var scaled = new float[x.Length];
        for (int i = 0; i < x.Length; i++)
            scaled[i] = (x[i] - mean[i % I]) / std[i % I];
        return scaled;
    }
}
