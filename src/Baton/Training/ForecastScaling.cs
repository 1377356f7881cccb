namespace Baton.Training;

/// <summary>
/// The one place where forecast inputs are standardised and outputs restored, with the float
/// statistics stored in the model, so that training, batch prediction and streaming agree exactly.
/// </summary>
public static class ForecastScaling
{
    /// <summary>(float)((value - mean) / std), computed in double.</summary>
    public static float Scale(double value, float mean, float std) => (float)((value - mean) / std);

    /// <summary>output * std + mean, computed in double.</summary>
    public static double Unscale(float output, float mean, float std) => (double)output * std + mean;
}
