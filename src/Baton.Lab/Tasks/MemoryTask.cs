namespace Baton.Lab.Tasks;

/// <summary>
/// A synthetic task that needs memory over <c>T</c> steps: the lab trains a recurrent stack with a
/// linear head on it and compares the result with <see cref="Baseline"/>, the score of the best
/// answer that ignores the input.
/// </summary>
internal abstract class MemoryTask
{
    /// <summary>The task names the lab accepts.</summary>
    public static readonly string[] Names = ["adding", "copy", "recall"];

    /// <summary>Task name (adding, copy, recall).</summary>
    public abstract string Name { get; }

    /// <summary>Input features per step.</summary>
    public abstract int Features { get; }

    /// <summary>Output classes; 0 for a regression task (scored by MSE).</summary>
    public abstract int Classes { get; }

    /// <summary>True when scored by mean squared error, false when by accuracy.</summary>
    public bool IsRegression => Classes == 0;

    /// <summary>Steps at the end of each sequence that carry a target.</summary>
    public abstract int OutputSteps { get; }

    /// <summary>Shortest sequence the task can be posed on.</summary>
    public abstract int MinLength { get; }

    /// <summary>The input-blind score: MSE of the best constant for regression, chance accuracy for classification.</summary>
    public abstract double Baseline { get; }

    /// <summary>Creates the batch buffers for sequences of <paramref name="length"/> steps.</summary>
    public TaskBatch CreateBatch(int length, int batch)
    {
        if (length < MinLength)
            throw new ArgumentOutOfRangeException(nameof(length), $"The {Name} task needs length ≥ {MinLength}.");
        return new TaskBatch(length, batch, Features, OutputSteps, IsRegression);
    }

    /// <summary>Overwrites <paramref name="batch"/> with fresh random sequences drawn from <paramref name="rng"/>.</summary>
    public abstract void Fill(TaskBatch batch, Numerics.Rng rng);

    /// <summary>Creates the task called <paramref name="name"/> with its default sizes.</summary>
    public static MemoryTask Create(string name) => name switch
    {
        "adding" => new AddingTask(),
        "copy" => new CopyTask(),
        "recall" => new RecallTask(),
        _ => throw new ArgumentException($"Unknown task '{name}'; expected one of {string.Join(", ", Names)}.", nameof(name)),
    };
}
