using Baton.Lab.Tasks;
using Baton.Layers;
using Baton.Numerics;

namespace Baton.Lab;

/// <summary>
/// The lab's model for a <see cref="MemoryTask"/>: one recurrent layer and a linear head
/// (<c>head.weight</c> [O, H], <c>head.bias</c> [O]) read at the last <see cref="MemoryTask.OutputSteps"/>
/// steps. Regression tasks use the mean squared error, classification tasks the mean cross-entropy.
/// </summary>
internal sealed class MemoryModel
{
    private float[] y = [];        // [T, B, H] recurrent outputs
    private float[] dy = [];       // [T, B, H] their gradient (nonzero only on the answer steps)
    private float[] output = [];   // [OutputSteps * B, O] head outputs
    private float[] dOutput = [];  // [OutputSteps * B, O]
    private int lastT, lastB;

    /// <summary>Builds and initialises (PyTorch's init) the model for <paramref name="task"/>.</summary>
    public MemoryModel(MemoryTask task, string cell, int hidden, Rng rng)
    {
        ArgumentNullException.ThrowIfNull(task);
        ArgumentNullException.ThrowIfNull(rng);
        Task = task;
        Parameters = new Parameters();
        Recurrence = new LabRecurrence(cell, task.Features, hidden, Parameters);
        Outputs = task.IsRegression ? 1 : task.Classes;
        Head = new Linear(hidden, Outputs, Parameters, "head.");
        Parameters.Freeze();
        Recurrence.ResetParameters(rng);
        Head.ResetParameters(rng);
    }

    /// <summary>The task the model answers.</summary>
    public MemoryTask Task { get; }

    /// <summary>Every parameter: the recurrent layer's and the head's.</summary>
    public Parameters Parameters { get; }

    /// <summary>The recurrent layer.</summary>
    public LabRecurrence Recurrence { get; }

    /// <summary>The head H → O.</summary>
    public Linear Head { get; }

    /// <summary>Head outputs O: 1 for regression, the class count otherwise.</summary>
    public int Outputs { get; }

    /// <summary>
    /// Forward over <paramref name="batch"/>; returns the loss (MSE or mean cross-entropy over the answer
    /// steps). With <paramref name="backward"/>, also accumulates the gradients into <see cref="Parameters"/>.
    /// </summary>
    public double Loss(TaskBatch batch, bool backward)
    {
        ArgumentNullException.ThrowIfNull(batch);
        int T = batch.T, B = batch.B, H = Recurrence.Hidden, O = Outputs, rows = batch.OutputSteps * B;
        Ensure(T, B, rows);
        var ySpan = y.AsSpan(0, T * B * H);
        Recurrence.Forward(batch.Inputs, T, B, [], [], [], ySpan, [], []);
        var answerStates = ySpan.Slice((T - batch.OutputSteps) * B * H, rows * H);   // [OutputSteps * B, H]
        var outputSpan = output.AsSpan(0, rows * O);
        Head.Forward(answerStates, rows, outputSpan);
        var dOutputSpan = dOutput.AsSpan(0, rows * O);
        double loss = Task.IsRegression
            ? SquaredError(outputSpan, batch.Targets, dOutputSpan)
            : CrossEntropy(outputSpan, batch.Labels, O, dOutputSpan);
        if (backward)
        {
            var dySpan = dy.AsSpan(0, T * B * H);
            dySpan.Clear();
            Head.Backward(answerStates, dOutputSpan, rows, dySpan.Slice((T - batch.OutputSteps) * B * H, rows * H));
            Recurrence.Backward(dySpan, [], [], [], []);
        }
        lastT = T;
        lastB = B;
        return loss;
    }

    /// <summary>
    /// ∂L/∂h_T [B, H] of the loss of <paramref name="batch"/> with respect to the last state, for tasks answered
    /// at the last step only. Adds the head's weight gradients to <see cref="Parameters"/> (callers zero them).
    /// Returns the loss.
    /// </summary>
    public double LastStateGradient(TaskBatch batch, Span<float> dLastState)
    {
        ArgumentNullException.ThrowIfNull(batch);
        if (batch.OutputSteps != 1)
            throw new ArgumentException("The task is not answered at the last step only.", nameof(batch));
        int T = batch.T, B = batch.B, H = Recurrence.Hidden;
        if (dLastState.Length != B * H)
            throw new ArgumentException($"dLastState must hold B·H = {B * H} values.", nameof(dLastState));
        double loss = Loss(batch, backward: false);
        Head.Backward(y.AsSpan((T - 1) * B * H, B * H), dOutput.AsSpan(0, B * Outputs), B, dLastState);
        return loss;
    }

    /// <summary>
    /// The score of the last <see cref="Loss"/> call on <paramref name="batch"/>: the MSE for regression,
    /// the fraction of answer steps whose arg-max class is right for classification.
    /// </summary>
    public double Score(TaskBatch batch, double loss)
    {
        ArgumentNullException.ThrowIfNull(batch);
        if (batch.T != lastT || batch.B != lastB)
            throw new InvalidOperationException("Score needs the Loss of the same batch first.");
        if (Task.IsRegression)
            return loss;
        int O = Outputs, rows = batch.OutputSteps * batch.B, right = 0;
        for (int r = 0; r < rows; r++)
        {
            var logits = output.AsSpan(r * O, O);
            int best = 0;
            for (int k = 1; k < O; k++)
                if (logits[k] > logits[best])
                    best = k;
            if (best == batch.Labels[r])
                right++;
        }
        return (double)right / rows;
    }

    /// <summary>Mean loss and score over every sequence of <paramref name="chunks"/>.</summary>
    public (double Loss, double Score) Evaluate(TaskBatch[] chunks)
    {
        ArgumentNullException.ThrowIfNull(chunks);
        double loss = 0, score = 0;
        int count = 0;
        foreach (var chunk in chunks)
        {
            double l = Loss(chunk, backward: false);
            loss += l * chunk.B;
            score += Score(chunk, l) * chunk.B;
            count += chunk.B;
        }
        return (loss / count, score / count);
    }

    private void Ensure(int T, int B, int rows)
    {
        int H = Recurrence.Hidden;
        if (y.Length < T * B * H)
        {
            y = new float[T * B * H];
            dy = new float[T * B * H];
        }
        if (output.Length < rows * Outputs)
        {
            output = new float[rows * Outputs];
            dOutput = new float[rows * Outputs];
        }
    }

    /// <summary>mean((ŷ − y)²) over the rows; dŷ = 2(ŷ − y)/rows.</summary>
    private static double SquaredError(ReadOnlySpan<float> prediction, ReadOnlySpan<float> target, Span<float> dPrediction)
    {
        double sum = 0;
        int n = target.Length;
        for (int i = 0; i < n; i++)
        {
            double e = prediction[i] - (double)target[i];
            sum += e * e;
            dPrediction[i] = (float)(2 * e / n);
        }
        return sum / n;
    }

    /// <summary>mean(−log softmax(z)[label]) over the rows; dz = (softmax(z) − onehot)/rows.</summary>
    private static double CrossEntropy(ReadOnlySpan<float> logits, ReadOnlySpan<int> labels, int classes, Span<float> dLogits)
    {
        double sum = 0;
        int rows = labels.Length;
        for (int r = 0; r < rows; r++)
        {
            var z = logits.Slice(r * classes, classes);
            var dz = dLogits.Slice(r * classes, classes);
            float max = float.NegativeInfinity;
            foreach (float v in z)
                max = MathF.Max(max, v);
            double total = 0;
            for (int k = 0; k < classes; k++)
                total += Math.Exp(z[k] - max);
            double logTotal = Math.Log(total);
            sum += logTotal - (z[labels[r]] - max);
            for (int k = 0; k < classes; k++)
                dz[k] = (float)((Math.Exp(z[k] - max - logTotal) - (k == labels[r] ? 1 : 0)) / rows);
        }
        return sum / rows;
    }
}
