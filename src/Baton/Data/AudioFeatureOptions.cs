namespace Baton.Data;

/// <summary>
/// How a classify model turns audio into its input frames (stored in the model config's <c>audio</c> field, so prediction computes
/// them exactly as training did). Each frame of <see cref="FrameMs"/> milliseconds, every <see cref="HopMs"/>, is Hamming-windowed,
/// its power spectrum (FFT of <see cref="FftSize"/> points) is summed through <see cref="Mels"/> triangular mel filters between
/// <see cref="LowHz"/> and <see cref="HighHz"/>, and the input is ln(max(energy, 1e-10)) per filter; with
/// <see cref="SubtractMean"/> each filter's mean over the recording is then subtracted (cepstral mean normalisation).
/// </summary>
internal sealed record AudioFeatureOptions
{
    /// <summary>Sample rate in Hz that every recording must have.</summary>
    public int SampleRate { get; init; } = 8000;

    /// <summary>Analysis frame length, milliseconds.</summary>
    public double FrameMs { get; init; } = 25;

    /// <summary>Step between frames, milliseconds.</summary>
    public double HopMs { get; init; } = 10;

    /// <summary>FFT size (a power of two at least the frame length in samples).</summary>
    public int FftSize { get; init; } = 256;

    /// <summary>Number of mel filters: the model's input width.</summary>
    public int Mels { get; init; } = 32;

    /// <summary>Lowest filter edge, Hz.</summary>
    public double LowHz { get; init; } = 60;

    /// <summary>Highest filter edge, Hz (at most half the sample rate).</summary>
    public double HighHz { get; init; } = 3800;

    /// <summary>Subtract each filter's mean over the recording.</summary>
    public bool SubtractMean { get; init; } = true;

    /// <summary>
    /// The front end Baton uses for recordings at <paramref name="sampleRate"/> Hz: 25 ms frames every 10 ms, the next
    /// power-of-two FFT, 32 mel filters from 60 Hz to min(rate/2 − 200, 7600) Hz below 16 kHz and 40 from 16 kHz up.
    /// </summary>
    public static AudioFeatureOptions ForSampleRate(int sampleRate, string source)
    {
        if (sampleRate < 4000)
            throw new SequenceDataException($"{source}: sampled at {sampleRate} Hz; at least 4000 Hz is needed.");
        int frame = (int)Math.Ceiling(0.025 * sampleRate);
        int fft = 1;
        while (fft < frame)
            fft *= 2;
        return new AudioFeatureOptions
        {
            SampleRate = sampleRate,
            FftSize = fft,
            Mels = sampleRate >= 16000 ? 40 : 32,
            HighHz = Math.Min(sampleRate / 2.0 - 200, 7600),
        };
    }
}
