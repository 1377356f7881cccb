namespace Baton.Lab.Tasks;

/// <summary>
/// One batch of a synthetic memory task, time-major. The targets sit on the last
/// <see cref="OutputSteps"/> steps of every sequence.
/// </summary>
internal sealed class TaskBatch
{
    /// <summary>Allocates the buffers for <paramref name="length"/> steps of <paramref name="batch"/> sequences.</summary>
    public TaskBatch(int length, int batch, int features, int outputSteps, bool regression)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(length, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(batch, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(features, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(outputSteps, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(outputSteps, length);
        T = length;
        B = batch;
        Features = features;
        OutputSteps = outputSteps;
        Inputs = new float[length * batch * features];
        Targets = regression ? new float[outputSteps * batch] : [];
        Labels = regression ? [] : new int[outputSteps * batch];
    }

    /// <summary>Sequence length.</summary>
    public int T { get; }

    /// <summary>Sequences in the batch.</summary>
    public int B { get; }

    /// <summary>Input features per step.</summary>
    public int Features { get; }

    /// <summary>Steps at the end of each sequence that carry a target.</summary>
    public int OutputSteps { get; }

    /// <summary>[T, B, Features] inputs.</summary>
    public float[] Inputs { get; }

    /// <summary>[OutputSteps, B] regression targets (empty for classification tasks).</summary>
    public float[] Targets { get; }

    /// <summary>[OutputSteps, B] class labels (empty for regression tasks).</summary>
    public int[] Labels { get; }

    /// <summary>The input vector of step <paramref name="t"/>, sequence <paramref name="b"/>.</summary>
    public Span<float> Input(int t, int b) => Inputs.AsSpan((t * B + b) * Features, Features);
}
