using Baton.Models;

namespace Baton.Data;

/// <summary>
/// Labelled log-mel sequences from recordings: a folder with one subfolder of WAV files per label (the folder name is the
/// label), a single file or folder to predict, or the built-in spoken digits. Every recording must have the
/// <see cref="AudioFeatureOptions.SampleRate"/> of the options; a recording at another rate is refused, naming it.
/// </summary>
internal static class AudioSequences
{
    /// <summary>Feature names of the mel filters: mel00, mel01, ...</summary>
    public static string[] FeatureNames(AudioFeatureOptions options) =>
        [.. Enumerable.Range(0, options.Mels).Select(m => $"mel{m:D2}")];

    /// <summary>
    /// Every *.wav under <paramref name="root"/> (recursively, sorted by relative path); with <paramref name="labelled"/> the label of each
    /// file is its top-level subfolder and a file directly in the root is refused. Ids are the paths relative to the root.
    /// </summary>
    public static LabeledSequences FromDirectory(string root, AudioFeatureOptions options, bool labelled)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (!Directory.Exists(root))
            throw new SequenceDataException($"{root}: no such folder.");
        string[] files = [.. Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories)
            .Where(f => f.EndsWith(".wav", StringComparison.OrdinalIgnoreCase))
            .Select(f => Path.GetRelativePath(root, f).Replace('\\', '/'))
            .Order(StringComparer.Ordinal)];
        if (files.Length == 0)
            throw new SequenceDataException($"{root}: no .wav files{(labelled ? " (expected one subfolder of WAV files per label)" : "")}.");
        var labels = new string[files.Length];
        if (labelled)
        {
            for (int i = 0; i < files.Length; i++)
            {
                int slash = files[i].IndexOf('/');
                if (slash < 0)
                    throw new SequenceDataException($"{Path.Combine(root, files[i])}: a WAV file outside a label subfolder (put each file in a folder named after its label).");
                labels[i] = files[i][..slash];
            }
        }
        var logMel = new LogMel(options);
        var features = new float[files.Length][];
        for (int i = 0; i < files.Length; i++)
        {
            string path = Path.Combine(root, files[i]);
            features[i] = Features(WaveReader.Read(path), path, options, logMel);
        }
        return new LabeledSequences(FeatureNames(options), files, features, labelled ? labels : null, new int[files.Length]);
    }

    /// <summary>One recording to predict: the id is the file name.</summary>
    public static LabeledSequences FromFile(string path, AudioFeatureOptions options)
    {
        var x = Features(WaveReader.Read(path), path, options, new LogMel(options));
        return new LabeledSequences(FeatureNames(options), [Path.GetFileName(path)], [x], null, [0]);
    }

    /// <summary>Log-mel frames of <paramref name="audio"/>, refusing another sample rate.</summary>
    public static float[] Features(WaveReader.Audio audio, string name, AudioFeatureOptions options, LogMel logMel)
    {
        ArgumentNullException.ThrowIfNull(audio);
        ArgumentNullException.ThrowIfNull(logMel);
        if (audio.SampleRate != options.SampleRate)
            throw new SequenceDataException(
                $"{name}: sampled at {audio.SampleRate} Hz, but the features use {options.SampleRate} Hz (resample it, e.g. sox in.wav -r {options.SampleRate} out.wav).");
        return logMel.Compute(audio.Samples, name);
    }
}
