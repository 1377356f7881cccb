using Baton.Data;

namespace Baton;

/// <summary>
/// The audio front end of Baton's classifiers: a PCM WAV recording as a sequence of log-mel frames, the input of a model
/// that <see cref="SequenceDataset.FromAudio"/> trained.
/// </summary>
public static class AudioFeatures
{
    /// <summary>
    /// The log-mel frames [frames][mels] of the PCM WAV file at <paramref name="path"/> (8-bit unsigned or 16/24/32-bit signed,
    /// channels averaged to mono), with settings that depend only on its sample rate r (at least 4,000 Hz): frames of
    /// ⌈0.025·r⌉ samples every 10 ms, Hamming-windowed; the power spectrum of an FFT of the next power of two; M triangular
    /// mel filters from 60 Hz to min(r/2 − 200, 7600) Hz (M = 32 below 16 kHz, 40 from 16 kHz); each value
    /// ln(max(energy, 1e−10)), then each filter's mean over the recording subtracted.
    /// </summary>
    /// <exception cref="InvalidDataException">Not a PCM WAV file, truncated, below 4,000 Hz, or shorter than one frame.</exception>
    public static float[][] LogMel(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        try
        {
            var audio = WaveReader.Read(path);
            var options = AudioFeatureOptions.ForSampleRate(audio.SampleRate, path);
            float[] flat = AudioSequences.Features(audio, path, options, new LogMel(options));
            int mels = options.Mels;
            var frames = new float[flat.Length / mels][];
            for (int t = 0; t < frames.Length; t++)
                frames[t] = flat.AsSpan(t * mels, mels).ToArray();
            return frames;
        }
        catch (SequenceDataException e)
        {
            throw new InvalidDataException(e.Message, e);
        }
    }

    /// <summary>The front end for the recordings under <paramref name="directory"/>: that of its first WAV file in path order.</summary>
    internal static AudioFeatureOptions OptionsForDirectory(string directory)
    {
        if (!Directory.Exists(directory))
            throw new SequenceDataException($"{directory}: no such folder.");
        string first = Directory.EnumerateFiles(directory, "*", SearchOption.AllDirectories)
            .Where(f => f.EndsWith(".wav", StringComparison.OrdinalIgnoreCase))
            .Order(StringComparer.Ordinal).FirstOrDefault()
            ?? throw new SequenceDataException($"{directory}: no .wav files (expected one subfolder of WAV files per label).");
        return AudioFeatureOptions.ForSampleRate(WaveReader.Read(first).SampleRate, first);
    }
}
