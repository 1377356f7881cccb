using Baton.Cli.Cli;
using Baton.Data;
using Baton.Models;

namespace Baton.Cli.Commands;

/// <summary>The audio side of <c>baton classify</c>: the front end chosen for a folder of recordings, and the built-in spoken digits.</summary>
internal static class ClassifyAudio
{
    /// <summary>Name of the embedded archive written by tools/speech/generate.py.</summary>
    public const string SpeechResource = "Baton.Cli.speech-digits.zip";

    /// <summary>
    /// The log-mel front end for the recordings under <paramref name="root"/>, at the sample rate of its first WAV file (in path order;
    /// every other file must match it): 25 ms frames every 10 ms, the next power-of-two FFT, 32 mel filters from 60 Hz to
    /// min(rate/2 − 200, 7600) Hz below 16 kHz and 40 from 16 kHz up, each filter's mean over the recording subtracted.
    /// </summary>
    public static AudioFeatureOptions OptionsFor(string root)
    {
        string? first = Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories)
            .Where(f => f.EndsWith(".wav", StringComparison.OrdinalIgnoreCase))
            .Order(StringComparer.Ordinal).FirstOrDefault();
        if (first is null)
            throw new CliError($"--audio '{root}': no .wav files (expected one subfolder of WAV files per label).");
        int rate = ClassifyCommand.BadInputAsCliError(() => WaveReader.Read(first)).SampleRate;
        return ClassifyCommand.BadInputAsCliError(() => AudioFeatureOptions.ForSampleRate(rate, first));
    }

    /// <summary>The built-in spoken digits (about <paramref name="sequences"/> recordings, or all of them for 0), noise from <paramref name="seed"/>.</summary>
    public static SpeechDigits.Loaded LoadSpeech(ulong seed, int sequences)
    {
        using var zip = typeof(ClassifyAudio).Assembly.GetManifestResourceStream(SpeechResource)
            ?? throw new CliError("the built-in speech data is missing from this build of baton.", ExitCodes.Failure);
        return SpeechDigits.Load(zip, seed, sequences == 0 ? 0 : Math.Max(1, sequences / 20));
    }
}
