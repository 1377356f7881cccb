using System.IO.Compression;
using Baton.Models;
using Baton.Numerics;

namespace Baton.Data;

/// <summary>
/// The built-in <c>speech</c> data: spoken digits 0–9 in English and Mandarin synthesised by espeak-ng (tools/speech/generate.py),
/// 8 kHz 8-bit PCM WAV files in a zip archive under <c>train/DIGIT/</c> and <c>test/DIGIT/</c>, the test files spoken by voice
/// variants that no training file uses. On loading, white noise is added to every recording at a signal-to-noise ratio drawn
/// uniformly from [<see cref="MinSnrDb"/>, <see cref="MaxSnrDb"/>] dB, from <c>Rng(seed)</c> in archive order.
/// </summary>
internal static class SpeechDigits
{
    /// <summary>Lowest signal-to-noise ratio, dB.</summary>
    public const double MinSnrDb = 10;

    /// <summary>Highest signal-to-noise ratio, dB.</summary>
    public const double MaxSnrDb = 30;

    /// <summary>The front end of the built-in data (8 kHz, 32 mels).</summary>
    public static readonly AudioFeatureOptions Options = new();

    /// <summary>The digits' recordings as sequences, with the indices of the held-out-voice (test) files.</summary>
    public sealed record Loaded(LabeledSequences Data, int[] Test, float[][] Samples);

    /// <summary>
    /// Reads the archive in <paramref name="zip"/>. <paramref name="limit"/> &gt; 0 keeps only the first that many training and test
    /// files of each digit (for quick runs).
    /// </summary>
    public static Loaded Load(Stream zip, ulong seed, int limit = 0)
    {
        ArgumentNullException.ThrowIfNull(zip);
        using var archive = new ZipArchive(zip, ZipArchiveMode.Read, leaveOpen: true);
        var entries = archive.Entries.Where(e => e.FullName.EndsWith(".wav", StringComparison.Ordinal))
            .OrderBy(e => e.FullName, StringComparer.Ordinal).ToList();
        if (limit > 0)
            entries = [.. entries.GroupBy(e => e.FullName[..e.FullName.LastIndexOf('/')]).SelectMany(g => g.Take(limit))];
        var rng = new Rng(seed);
        var logMel = new LogMel(Options);
        var ids = new string[entries.Count];
        var labels = new string[entries.Count];
        var features = new float[entries.Count][];
        var samples = new float[entries.Count][];
        var test = new List<int>();
        for (int i = 0; i < entries.Count; i++)
        {
            string name = entries[i].FullName;
            string[] parts = name.Split('/');
            if (parts.Length != 3 || parts[0] is not ("train" or "test"))
                throw new InvalidDataException($"speech archive: unexpected entry '{name}' (train/DIGIT/FILE.wav or test/DIGIT/FILE.wav).");
            using var stream = entries[i].Open();
            using var memory = new MemoryStream();
            stream.CopyTo(memory);
            var audio = WaveReader.Read(memory.ToArray(), name);
            samples[i] = AddNoise(audio.Samples, rng);
            ids[i] = name;
            labels[i] = parts[1];
            features[i] = AudioSequences.Features(audio with { Samples = samples[i] }, name, Options, logMel);
            if (parts[0] == "test")
                test.Add(i);
        }
        var data = new LabeledSequences(AudioSequences.FeatureNames(Options), ids, features, labels, new int[entries.Count]);
        return new Loaded(data, [.. test], samples);
    }

    /// <summary>x + n, n ~ N(0, σ²) with σ² = mean(x²) / 10^(snr/10), snr ~ U[<see cref="MinSnrDb"/>, <see cref="MaxSnrDb"/>].</summary>
    public static float[] AddNoise(float[] x, Rng rng)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(rng);
        double snr = MinSnrDb + (MaxSnrDb - MinSnrDb) * rng.NextDouble();
        double power = 0;
        foreach (float v in x)
            power += (double)v * v;
        power /= Math.Max(1, x.Length);
        double sigma = Math.Sqrt(power / Math.Pow(10, snr / 10));
        var noisy = new float[x.Length];
        for (int i = 0; i < x.Length; i++)
            noisy[i] = (float)(x[i] + sigma * rng.NextNormal());
        return noisy;
    }
}
