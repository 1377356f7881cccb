namespace Baton.Training;

/// <summary>
/// The non-recurrent baseline of <c>baton classify</c>: multinomial logistic regression on a fixed-length summary of each
/// sequence, z = [mean over steps of x, x at the last step] (2·I values), standardised with the training summaries'
/// mean and std. p = softmax(W z + b); fitted by full-batch gradient descent on
/// L = (1/N) Σ_n −log p_n[y_n] + (λ/2)·‖W‖², from W = 0, b = 0, with a fixed step and number of iterations, so the
/// fit is deterministic (it draws no random numbers).
/// </summary>
internal sealed class PooledLogisticRegression
{
    private readonly int inputSize;
    private readonly int classes;
    private readonly double[] weight;     // [C, 2I]
    private readonly double[] bias;       // [C]
    private readonly double[] mean;       // [2I]
    private readonly double[] std;        // [2I]

    private PooledLogisticRegression(int inputSize, int classes)
    {
        this.inputSize = inputSize;
        this.classes = classes;
        weight = new double[classes * 2 * inputSize];
        bias = new double[classes];
        mean = new double[2 * inputSize];
        std = new double[2 * inputSize];
    }

    /// <summary>The summary z of one sequence [len, I]: the mean of every feature, then the last step's features.</summary>
    public static double[] Summary(ReadOnlySpan<float> x, int inputSize)
    {
        int steps = x.Length / inputSize;
        if (steps < 1)
            throw new ArgumentException("A sequence needs at least one step.", nameof(x));
        var z = new double[2 * inputSize];
        for (int t = 0; t < steps; t++)
        {
            for (int f = 0; f < inputSize; f++)
                z[f] += x[t * inputSize + f];
        }
        for (int f = 0; f < inputSize; f++)
        {
            z[f] /= steps;
            z[inputSize + f] = x[(steps - 1) * inputSize + f];
        }
        return z;
    }

    /// <summary>Fits the model on <paramref name="sequences"/> (each [len, I]) with class ids <paramref name="labels"/>.</summary>
    public static PooledLogisticRegression Fit(IReadOnlyList<float[]> sequences, IReadOnlyList<int> labels, int inputSize, int classes,
        int iterations = 500, double step = 0.5, double l2 = 1e-4)
    {
        ArgumentNullException.ThrowIfNull(sequences);
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentOutOfRangeException.ThrowIfLessThan(inputSize, 1, nameof(inputSize));
        ArgumentOutOfRangeException.ThrowIfLessThan(classes, 1, nameof(classes));
        if (sequences.Count == 0 || sequences.Count != labels.Count)
            throw new ArgumentException($"{sequences.Count} sequences and {labels.Count} labels: one label per sequence, at least one.", nameof(labels));
        var model = new PooledLogisticRegression(inputSize, classes);
        int Z = 2 * inputSize;
        int N = sequences.Count;
        var z = new double[N][];
        for (int n = 0; n < N; n++)
            z[n] = Summary(sequences[n], inputSize);
        for (int k = 0; k < Z; k++)
        {
            double m = 0, s = 0;
            for (int n = 0; n < N; n++)
                m += z[n][k];
            m /= N;
            for (int n = 0; n < N; n++)
                s += (z[n][k] - m) * (z[n][k] - m);
            s = Math.Sqrt(s / N);
            model.mean[k] = m;
            model.std[k] = s > 1e-12 ? s : 1;
        }
        for (int n = 0; n < N; n++)
            model.Standardise(z[n]);

        var p = new double[classes];
        var dW = new double[model.weight.Length];
        var dB = new double[classes];
        for (int iteration = 0; iteration < iterations; iteration++)
        {
            Array.Clear(dW);
            Array.Clear(dB);
            for (int n = 0; n < N; n++)
            {
                model.Softmax(z[n], p);
                p[labels[n]] -= 1;
                for (int c = 0; c < classes; c++)
                {
                    dB[c] += p[c];
                    for (int k = 0; k < Z; k++)
                        dW[c * Z + k] += p[c] * z[n][k];
                }
            }
            for (int i = 0; i < dW.Length; i++)
                model.weight[i] -= step * (dW[i] / N + l2 * model.weight[i]);
            for (int c = 0; c < classes; c++)
                model.bias[c] -= step * dB[c] / N;
        }
        return model;
    }

    /// <summary>Class probabilities of one sequence [len, I].</summary>
    public double[] Probabilities(ReadOnlySpan<float> x)
    {
        var z = Summary(x, inputSize);
        Standardise(z);
        var p = new double[classes];
        Softmax(z, p);
        return p;
    }

    /// <summary>The most probable class of one sequence (the lowest id on a tie).</summary>
    public int Predict(ReadOnlySpan<float> x)
    {
        var p = Probabilities(x);
        int best = 0;
        for (int c = 1; c < classes; c++)
        {
            if (p[c] > p[best])
                best = c;
        }
        return best;
    }

    private void Standardise(double[] z)
    {
        for (int k = 0; k < z.Length; k++)
            z[k] = (z[k] - mean[k]) / std[k];
    }

    private void Softmax(double[] z, double[] p)
    {
        int Z = z.Length;
        double max = double.NegativeInfinity;
        for (int c = 0; c < classes; c++)
        {
            double logit = bias[c];
            for (int k = 0; k < Z; k++)
                logit += weight[c * Z + k] * z[k];
            p[c] = logit;
            max = Math.Max(max, logit);
        }
        double sum = 0;
        for (int c = 0; c < classes; c++)
        {
            p[c] = Math.Exp(p[c] - max);
            sum += p[c];
        }
        for (int c = 0; c < classes; c++)
            p[c] /= sum;
    }
}
