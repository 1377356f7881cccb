using Baton.Models;
using NWaves.FeatureExtractors;
using NWaves.FeatureExtractors.Options;
using NWaves.Filters.Fda;
using NWaves.Utils;
using NWaves.Windows;

namespace Baton.Data;

/// <summary>
/// Log-mel frames of a recording, computed with NWaves' <see cref="FilterbankExtractor"/> as <see cref="AudioFeatureOptions"/>
/// describes: [frames, mels] row-major.
/// </summary>
internal sealed class LogMel
{
    private readonly AudioFeatureOptions options;
    private readonly FilterbankExtractor extractor;

    /// <summary>Prepares the filter bank of <paramref name="options"/>.</summary>
    public LogMel(AudioFeatureOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        this.options = options;
        var bands = FilterBanks.MelBands(options.Mels, options.SampleRate, options.LowHz, options.HighHz);
        extractor = new FilterbankExtractor(new FilterbankOptions
        {
            SamplingRate = options.SampleRate,
            FrameDuration = options.FrameMs / 1000,
            HopDuration = options.HopMs / 1000,
            FftSize = options.FftSize,
            FilterBank = FilterBanks.Triangular(options.FftSize, options.SampleRate, bands),
            Window = WindowType.Hamming,
            SpectrumType = SpectrumType.Power,
            NonLinearity = NonLinearityType.LogE,
            LogFloor = 1e-10f,
        });
    }

    /// <summary>
    /// The frames of <paramref name="samples"/> (at <see cref="AudioFeatureOptions.SampleRate"/>): [frames, mels]. A recording shorter
    /// than one frame has none: a <see cref="SequenceDataException"/> naming <paramref name="name"/>.
    /// </summary>
    public float[] Compute(float[] samples, string name)
    {
        ArgumentNullException.ThrowIfNull(samples);
        var vectors = extractor.ComputeFrom(samples);
        if (vectors.Count == 0)
            throw new SequenceDataException(
                $"{name}: {samples.Length} samples ({1000.0 * samples.Length / options.SampleRate:F1} ms) is shorter than one {options.FrameMs} ms frame: an empty sequence.");
        int M = options.Mels;
        var frames = new float[vectors.Count * M];
        for (int t = 0; t < vectors.Count; t++)
            vectors[t].AsSpan(0, M).CopyTo(frames.AsSpan(t * M, M));
        if (options.SubtractMean)
        {
            for (int m = 0; m < M; m++)
            {
                double mean = 0;
                for (int t = 0; t < vectors.Count; t++)
                    mean += frames[t * M + m];
                mean /= vectors.Count;
                for (int t = 0; t < vectors.Count; t++)
                    frames[t * M + m] -= (float)mean;
            }
        }
        return frames;
    }
}
