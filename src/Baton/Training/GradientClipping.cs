using Baton.Layers;

namespace Baton.Training;

/// <summary>Gradient clipping over the flat gradient block (torch.nn.utils.clip_grad_norm_ / clip_grad_value_).</summary>
internal static class GradientClipping
{
    /// <summary>√(Σ g²) over every gradient, accumulated in float64 in index order (independent of threads).</summary>
    public static double GlobalNorm(ReadOnlySpan<float> grad)
    {
        double sum = 0;
        foreach (float g in grad)
            sum += (double)g * g;
        return Math.Sqrt(sum);
    }

    /// <summary>
    /// clip_grad_norm_: n = ‖grad‖₂ over all parameters; when c = maxNorm / (n + 1e-6) &lt; 1 every gradient is
    /// multiplied by c. Returns n (before clipping). A non-finite n leaves the gradients untouched.
    /// </summary>
    public static double ClipByGlobalNorm(Parameters parameters, double maxNorm)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        if (!(maxNorm > 0))
            throw new ArgumentOutOfRangeException(nameof(maxNorm), "max norm must be positive.");
        var grad = parameters.Grad;
        double norm = GlobalNorm(grad);
        double coefficient = maxNorm / (norm + 1e-6);
        if (double.IsFinite(norm) && coefficient < 1)
        {
            float c = (float)coefficient;
            for (int i = 0; i < grad.Length; i++)
                grad[i] *= c;
        }
        return norm;
    }

    /// <summary>clip_grad_value_: every gradient clamped to [−clip, clip].</summary>
    public static void ClipByValue(Parameters parameters, float clip)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        if (!(clip > 0))
            throw new ArgumentOutOfRangeException(nameof(clip), "clip value must be positive.");
        var grad = parameters.Grad;
        for (int i = 0; i < grad.Length; i++)
            grad[i] = Math.Clamp(grad[i], -clip, clip);
    }
}
