using Baton.Models;

namespace Baton.Training;

/// <summary>
/// The one place where forecast inputs are standardised and outputs restored, with the float
/// statistics stored in the model, so that training, batch prediction and streaming agree exactly.
/// </summary>
internal static class ForecastScaling
{
    /// <summary>(float)((value - mean) / std), computed in double.</summary>
    public static float Scale(double value, float mean, float std) => (float)((value - mean) / std);

    /// <summary>output * std + mean, computed in double.</summary>
    public static double Unscale(float output, float mean, float std) => (double)output * std + mean;

    /// <summary>Standardises one raw row [I] with the feature statistics of <paramref name="config"/>.</summary>
    public static void Standardise(ModelConfig config, ReadOnlySpan<double> row, Span<float> destination)
    {
        ArgumentNullException.ThrowIfNull(config);
        var mean = config.FeatureMean;
        var std = config.FeatureStd;
        for (int i = 0; i < row.Length; i++)
            destination[i] = Scale(row[i], mean[i], std[i]);
    }

    /// <summary>Maps one head output [K, targets] back to the targets' units with the statistics of <paramref name="config"/>.</summary>
    public static void Restore(ModelConfig config, ReadOnlySpan<float> output, Span<double> destination)
    {
        ArgumentNullException.ThrowIfNull(config);
        var mean = config.TargetMean;
        var std = config.TargetStd;
        int targets = config.Targets.Length;
        for (int i = 0; i < output.Length; i++)
            destination[i] = Unscale(output[i], mean[i % targets], std[i % targets]);
    }
}
