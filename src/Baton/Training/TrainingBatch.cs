namespace Baton.Training;

/// <summary>
/// One batch in the layout <see cref="Models.SequenceModel"/> reads, time-major, in buffers sized once for
/// <see cref="MaxT"/> × <see cref="MaxB"/> and refilled by an <see cref="ITrainingData"/>.
/// </summary>
internal sealed class TrainingBatch
{
    /// <summary>
    /// Allocates the buffers; <paramref name="inputSize"/> = 0 for token input, <paramref name="outputSize"/> = regression width
    /// (0 otherwise); <paramref name="stepTargets"/>: regression targets at every step (<see cref="StepTargets"/>).
    /// </summary>
    public TrainingBatch(int maxT, int maxB, int inputSize, int outputSize, bool stepTargets = false)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxT, 1, nameof(maxT));
        ArgumentOutOfRangeException.ThrowIfLessThan(maxB, 1, nameof(maxB));
        MaxT = maxT;
        MaxB = maxB;
        Tokens = inputSize == 0 ? new int[maxT * maxB] : [];
        Features = inputSize > 0 ? new float[maxT * maxB * inputSize] : [];
        TokenTargets = new int[maxT * maxB];
        Labels = new int[maxB];
        Targets = new float[maxB * Math.Max(outputSize, 0)];
        Lengths = new int[maxB];
        StepTargets = stepTargets ? new float[maxT * maxB * Math.Max(outputSize, 0)] : [];
    }

    /// <summary>Largest T.</summary>
    public int MaxT { get; }

    /// <summary>Largest B.</summary>
    public int MaxB { get; }

    /// <summary>Steps in this batch.</summary>
    public int T { get; set; }

    /// <summary>Sequences in this batch.</summary>
    public int B { get; set; }

    /// <summary>Token ids [T, B] (token input).</summary>
    public int[] Tokens { get; }

    /// <summary>Features [T, B, I] (feature input).</summary>
    public float[] Features { get; }

    /// <summary>Per-step labels [T, B] (lm: the next tokens; classify_steps); <see cref="Losses.IgnoreIndex"/> marks padding.</summary>
    public int[] TokenTargets { get; }

    /// <summary>Class labels [B] (classify).</summary>
    public int[] Labels { get; }

    /// <summary>Regression targets [B, OutputSize] (forecast).</summary>
    public float[] Targets { get; }

    /// <summary>Regression targets at every step [T, B, OutputSize] (forecast_steps; rows past a sequence's length are ignored).</summary>
    public float[] StepTargets { get; }

    /// <summary>Sequence lengths [B] when <see cref="HasLengths"/>.</summary>
    public int[] Lengths { get; }

    /// <summary>True when the sequences have their own lengths (else every one has T steps).</summary>
    public bool HasLengths { get; set; }

    /// <summary>True when this batch continues the previous batch's streams: the recurrence starts from the carried (detached) state.</summary>
    public bool ContinuesState { get; set; }
}
