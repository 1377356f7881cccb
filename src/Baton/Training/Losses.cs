using Baton.Numerics;

namespace Baton.Training;

/// <summary>
/// Loss values and gradients, each matching the PyTorch function named in its summary with
/// <c>reduction="mean"</c>. Sums over elements and rows are accumulated in float64 (cross-entropy's
/// per-row Σ e^{x − max} is a float32 SIMD sum, as in PyTorch's float32 logsumexp); gradients are
/// written (not accumulated), and skipped when the gradient span is empty.
/// </summary>
internal static unsafe class Losses
{
    /// <summary>PyTorch's default <c>ignore_index</c>: targets equal to it (padding) count neither in the loss nor in the mean.</summary>
    public const int IgnoreIndex = -100;

    /// <summary>
    /// <c>F.cross_entropy(logits, targets, ignore_index)</c> over <paramref name="targets"/>.Length rows of <paramref name="classes"/> logits:
    /// loss_r = logsumexp(x_r) − x_r[y_r]. Returns the sum and the number of counted rows; the mean is the loss.
    /// dLogits_r = (softmax(x_r) − onehot(y_r)) · <paramref name="gradScale"/> / count, zero for ignored rows
    /// (pass gradScale = 1 for the gradient of the mean).
    /// </summary>
    public static TokenLoss CrossEntropy(ReadOnlySpan<float> logits, ReadOnlySpan<int> targets, int classes, Span<float> dLogits,
        int ignoreIndex = IgnoreIndex, float gradScale = 1f) =>
        CrossEntropy(SimdPaths.Best, logits, targets, classes, dLogits, ignoreIndex, gradScale);

    /// <summary>The cross-entropy above on the SIMD <paramref name="path"/> given (tests compare every path with the scalar one).</summary>
    internal static TokenLoss CrossEntropy(SimdPath path, ReadOnlySpan<float> logits, ReadOnlySpan<int> targets, int classes,
        Span<float> dLogits, int ignoreIndex = IgnoreIndex, float gradScale = 1f)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(classes, 1, nameof(classes));
        int rows = targets.Length;
        if (logits.Length != rows * classes)
            throw new ArgumentException($"logits holds {logits.Length} values, rows·classes = {rows * classes} expected.", nameof(logits));
        bool grad = !dLogits.IsEmpty;
        if (grad && dLogits.Length != logits.Length)
            throw new ArgumentException("dLogits must match logits.", nameof(dLogits));
        long count = 0;
        foreach (int y in targets)
        {
            if (y == ignoreIndex)
                continue;
            if ((uint)y >= (uint)classes)
                throw new ArgumentOutOfRangeException(nameof(targets), $"target {y} is outside [0, {classes}).");
            count++;
        }
        double sum = 0;
        float scale = count == 0 ? 0f : (float)(gradScale / (double)count);
        fixed (float* px = logits, pd = dLogits)
        {
            for (int r = 0; r < rows; r++)
            {
                float* x = px + (long)r * classes;
                int y = targets[r];
                if (y == ignoreIndex)
                {
                    if (grad)
                        new Span<float>(pd + (long)r * classes, classes).Clear();
                    continue;
                }
                Activations.RowMaxAndSum(path, x, classes, out float max, out float z);
                sum += max + Math.Log(z) - x[y];
                if (grad)
                {
                    // softmax(x) · scale, then the target's −scale; dLogits may be logits (x[y] is read above).
                    float* dx = pd + (long)r * classes;
                    Activations.ScaledExp(path, x, dx, classes, max, scale / z);
                    dx[y] -= scale;
                }
            }
        }
        return new TokenLoss(sum, count);
    }

    /// <summary>
    /// <c>(F.cross_entropy(logits, targets, weight=w, reduction="none")).mean()</c> over <paramref name="targets"/>.Length = B rows:
    /// loss = (1/B) Σ_r w[y_r] · (logsumexp(x_r) − x_r[y_r]), the mean of the weighted per-row losses (not PyTorch's weighted
    /// mean, which divides by Σ w[y_r]), so that batch means of equal-size batches average exactly.
    /// dLogits_r = w[y_r] · (softmax(x_r) − onehot(y_r)) / B. Returns the sum Σ_r w[y_r]·loss_r and B.
    /// </summary>
    public static TokenLoss WeightedCrossEntropy(ReadOnlySpan<float> logits, ReadOnlySpan<int> targets, int classes,
        ReadOnlySpan<float> weights, Span<float> dLogits)
    {
        int rows = targets.Length;
        if (weights.Length != classes)
            throw new ArgumentException($"weights holds {weights.Length} values, one per class ({classes}) expected.", nameof(weights));
        if (logits.Length != rows * classes)
            throw new ArgumentException($"logits holds {logits.Length} values, rows·classes = {rows * classes} expected.", nameof(logits));
        bool grad = !dLogits.IsEmpty;
        double sum = 0;
        for (int r = 0; r < rows; r++)
        {
            int y = targets[r];
            if ((uint)y >= (uint)classes)
                throw new ArgumentOutOfRangeException(nameof(targets), $"target {y} is outside [0, {classes}).");
            float w = weights[y];
            var row = logits.Slice(r * classes, classes);
            var dRow = grad ? dLogits.Slice(r * classes, classes) : default;
            var one = CrossEntropy(row, targets.Slice(r, 1), classes, dRow, IgnoreIndex, w / rows);
            sum += w * one.SumNats;
        }
        return new TokenLoss(sum, rows);
    }

    /// <summary><c>F.mse_loss</c>: mean((p − t)²); dPred = 2(p − t)/n.</summary>
    public static double Mse(ReadOnlySpan<float> prediction, ReadOnlySpan<float> target, Span<float> dPrediction)
    {
        int n = Check(prediction, target, dPrediction);
        double sum = 0;
        float scale = 2f / n;
        for (int i = 0; i < n; i++)
        {
            float d = prediction[i] - target[i];
            sum += (double)d * d;
            if (!dPrediction.IsEmpty)
                dPrediction[i] = scale * d;
        }
        return sum / n;
    }

    /// <summary><c>F.l1_loss</c>: mean|p − t|; dPred = sign(p − t)/n (0 where p = t, as torch).</summary>
    public static double Mae(ReadOnlySpan<float> prediction, ReadOnlySpan<float> target, Span<float> dPrediction)
    {
        int n = Check(prediction, target, dPrediction);
        double sum = 0;
        float scale = 1f / n;
        for (int i = 0; i < n; i++)
        {
            float d = prediction[i] - target[i];
            sum += Math.Abs(d);
            if (!dPrediction.IsEmpty)
                dPrediction[i] = scale * MathF.Sign(d);
        }
        return sum / n;
    }

    /// <summary>
    /// <c>F.huber_loss(delta)</c>: mean of ½d² where |d| &lt; δ, else δ(|d| − ½δ), d = p − t;
    /// dPred = d/n where |d| &lt; δ, else δ·sign(d)/n.
    /// </summary>
    public static double Huber(ReadOnlySpan<float> prediction, ReadOnlySpan<float> target, Span<float> dPrediction, float delta = 1f)
    {
        if (!(delta > 0))
            throw new ArgumentOutOfRangeException(nameof(delta), "Huber delta must be positive.");
        int n = Check(prediction, target, dPrediction);
        double sum = 0;
        float scale = 1f / n;
        for (int i = 0; i < n; i++)
        {
            float d = prediction[i] - target[i];
            float a = MathF.Abs(d);
            if (a < delta)
            {
                sum += 0.5 * d * (double)d;
                if (!dPrediction.IsEmpty)
                    dPrediction[i] = scale * d;
            }
            else
            {
                sum += delta * (a - 0.5 * delta);
                if (!dPrediction.IsEmpty)
                    dPrediction[i] = scale * delta * MathF.Sign(d);
            }
        }
        return sum / n;
    }

    private static int Check(ReadOnlySpan<float> prediction, ReadOnlySpan<float> target, Span<float> dPrediction)
    {
        if (prediction.Length != target.Length)
            throw new ArgumentException($"prediction holds {prediction.Length} values, target {target.Length}.", nameof(target));
        if (prediction.Length == 0)
            throw new ArgumentException("Empty prediction.", nameof(prediction));
        if (!dPrediction.IsEmpty && dPrediction.Length != prediction.Length)
            throw new ArgumentException("dPrediction must match prediction.", nameof(dPrediction));
        return prediction.Length;
    }
}
