using System.Buffers.Binary;
using Baton.Data;
using Baton.Models;
using Baton.Tests.Cli;

namespace Baton.Tests.Classify;

public sealed class AudioTests
{
    // 16-bit PCM rounds a sample to 1/32767.
    private const double PcmStep = 1.0 / 32767;

    private static float[] Tone(double hz, int rate, double seconds, double phase = 0) =>
        [.. Enumerable.Range(0, (int)(rate * seconds)).Select(i => (float)(0.5 * Math.Sin(2 * Math.PI * hz * i / rate + phase)))];

    /// <summary>A sweep from <paramref name="from"/> to <paramref name="to"/> Hz (the phase integrates the frequency).</summary>
    private static float[] Chirp(double from, double to, int rate, double seconds)
    {
        int n = (int)(rate * seconds);
        var x = new float[n];
        double phase = 0;
        for (int i = 0; i < n; i++)
        {
            phase += 2 * Math.PI * (from + (to - from) * i / n) / rate;
            x[i] = (float)(0.5 * Math.Sin(phase));
        }
        return x;
    }

    /// <summary>
    /// A folder with subfolders rise/ (sweeps up from 300–400 Hz to 1500–1700 Hz) and fall/ (the same, down), <paramref name="each"/>
    /// files each: the mean spectrum of both is alike, so only the order of the frames tells them apart.
    /// </summary>
    private static string WriteTones(string dir, int each, int rate = 8000)
    {
        for (int i = 0; i < each; i++)
        {
            double low = 300 + 10 * i, high = 1500 + 20 * i, seconds = 0.2 + 0.01 * i;
            foreach (var (label, x) in new[] { ("rise", Chirp(low, high, rate, seconds)), ("fall", Chirp(high, low, rate, seconds)) })
            {
                Directory.CreateDirectory(Path.Combine(dir, label));
                File.WriteAllBytes(Path.Combine(dir, label, $"{label}{i:D2}.wav"), WaveReader.Write16(x, rate));
            }
        }
        return dir;
    }

    [Fact]
    public void A_16_bit_wav_reads_back_its_samples_and_rate()
    {
        float[] tone = Tone(440, 8000, 0.05);
        var audio = WaveReader.Read(WaveReader.Write16(tone, 8000), "a.wav");
        Assert.Equal(8000, audio.SampleRate);
        Assert.Equal(tone.Length, audio.Samples.Length);
        for (int i = 0; i < tone.Length; i++)
            Assert.Equal(tone[i], audio.Samples[i], PcmStep);
    }

    [Fact]
    public void Non_pcm_truncated_and_non_wav_files_are_refused_by_name()
    {
        byte[] wav = WaveReader.Write16(Tone(440, 8000, 0.01), 8000);
        byte[] floatWav = (byte[])wav.Clone();
        BinaryPrimitives.WriteInt16LittleEndian(floatWav.AsSpan(20), 3);
        Assert.Equal("f.wav: WAV format 3 (IEEE float) is not PCM; convert it to PCM (e.g. sox in.wav -e signed-integer out.wav).",
            Assert.Throws<SequenceDataException>(() => WaveReader.Read(floatWav, "f.wav")).Message);
        Assert.Equal("t.wav: the WAV file has no data chunk.",
            Assert.Throws<SequenceDataException>(() => WaveReader.Read(wav.AsSpan(0, 36), "t.wav")).Message);
        Assert.Equal("x.wav: not a WAV file (no RIFF/WAVE header).",
            Assert.Throws<SequenceDataException>(() => WaveReader.Read("hello world, not audio"u8, "x.wav")).Message);
    }

    [Fact]
    public void Log_mel_frames_follow_the_tone_and_a_recording_shorter_than_a_frame_is_an_empty_sequence()
    {
        var options = new AudioFeatureOptions { SubtractMean = false };
        var logMel = new LogMel(options);
        float[] low = logMel.Compute(Tone(300, 8000, 0.2), "low");
        float[] high = logMel.Compute(Tone(2000, 8000, 0.2), "high");
        int M = options.Mels;
        int frames = low.Length / M;
        Assert.InRange(frames, 16, 20);                       // (1600 − 200) / 80 + 1 = 18 frames
        int Peak(float[] x) => Enumerable.Range(0, M).MaxBy(m => x[(frames / 2) * M + m]);
        Assert.True(Peak(high) > Peak(low) + 5, $"peaks {Peak(low)}, {Peak(high)}");
        var e = Assert.Throws<SequenceDataException>(() => logMel.Compute(new float[100], "short.wav"));
        Assert.Equal("short.wav: 100 samples (12.5 ms) is shorter than one 25 ms frame: an empty sequence.", e.Message);
    }

    [Fact]
    public void Audio_train_and_predict_on_a_folder_of_labelled_wavs()
    {
        string dir = CliRunner.TempDir();
        string data = WriteTones(Path.Combine(dir, "tones"), 12);
        string outDir = Path.Combine(dir, "run");
        var trained = CliRunner.Run("classify", "train", "--audio", data, "--out", outDir, "--hidden", "8", "--epochs", "12", "--batch", "8", "--lr", "0.01", "--json");
        Assert.True(trained.ExitCode == 0, trained.Stderr);
        Assert.Equal(["fall", "rise"], trained.Json["classes"]!.AsArray().Select(c => (string)c!));
        var model = Baton.IO.ModelFile.Load(Path.Combine(outDir, "model.safetensors"));
        Assert.Equal(new AudioFeatureOptions { SampleRate = 8000 }, model.Config.Audio);

        string preds = Path.Combine(dir, "p.csv");
        var predicted = CliRunner.Run("classify", "predict", "--model", Path.Combine(outDir, "model.safetensors"), "--audio", data, "--out", preds, "--early", "--json");
        Assert.True(predicted.ExitCode == 0, predicted.Stderr);
        Assert.Equal(24, (int)predicted.Json["sequences"]!);
        Assert.True((double)predicted.Json["accuracy"]! >= 0.9, predicted.Stdout);
        var table = CsvTable.Load(preds);
        Assert.Equal(["file", "label", "p_fall", "p_rise"], table.Columns);
        Assert.Equal("fall/fall00.wav", table.Rows[0][0]);

        var single = CliRunner.Run("classify", "predict", "--model", Path.Combine(outDir, "model.safetensors"), "--audio",
            Path.Combine(data, "rise", "rise03.wav"), "--out", Path.Combine(dir, "one.csv"), "--json");
        Assert.True(single.ExitCode == 0, single.Stderr);
        Assert.Equal(1, (int)single.Json["sequences"]!);
    }

    [Fact]
    public void Mismatched_sample_rates_and_non_pcm_files_exit_2_naming_the_file_and_write_nothing()
    {
        string dir = CliRunner.TempDir();
        string data = WriteTones(Path.Combine(dir, "tones"), 3);
        File.WriteAllBytes(Path.Combine(data, "rise", "zz.wav"), WaveReader.Write16(Tone(300, 16000, 0.2), 16000));
        string outDir = Path.Combine(dir, "run");
        var result = CliRunner.Run("classify", "train", "--audio", data, "--out", outDir);
        Assert.Equal(2, result.ExitCode);
        Assert.Equal($"baton: error: {Path.Combine(data, "rise/zz.wav")}: sampled at 16000 Hz, but the features use 8000 Hz (resample it, e.g. sox in.wav -r 8000 out.wav).",
            result.Stderr.Trim());
        Assert.False(Directory.Exists(outDir));

        File.Delete(Path.Combine(data, "rise", "zz.wav"));
        File.WriteAllText(Path.Combine(data, "rise", "broken.wav"), "not audio");
        result = CliRunner.Run("classify", "train", "--audio", data, "--out", outDir);
        Assert.Equal(2, result.ExitCode);
        Assert.Equal($"baton: error: {Path.Combine(data, "rise/broken.wav")}: not a WAV file (no RIFF/WAVE header).", result.Stderr.Trim());
        Assert.False(Directory.Exists(outDir));
    }

    [Fact]
    public void Built_in_speech_data_tests_on_held_out_voices_only()
    {
        using var zip = typeof(Baton.Cli.BatonCli).Assembly.GetManifestResourceStream("Baton.Cli.speech-digits.zip")!;
        var speech = SpeechDigits.Load(zip, seed: 1, limit: 2);
        Assert.Equal(40, speech.Data.Count);                                   // 2 per (split, digit) folder
        Assert.Equal(20, speech.Test.Length);
        string Voice(string id) => Path.GetFileName(id).Split('-')[1];
        var trainVoices = Enumerable.Range(0, 40).Except(speech.Test).Select(i => Voice(speech.Data.Ids[i])).ToHashSet();
        Assert.All(speech.Test, i => Assert.DoesNotContain(Voice(speech.Data.Ids[i]), trainVoices));
        Assert.Equal(Enumerable.Range(0, 10).Select(d => d.ToString(System.Globalization.CultureInfo.InvariantCulture)),
            LabeledSequences.ClassNames(speech.Data.Labels!));

        string dir = CliRunner.TempDir();
        var result = CliRunner.Run("classify", "--dataset", "speech", "--sequences", "60", "--hidden", "8", "--epochs", "1", "--out", dir, "--json");
        Assert.True(result.ExitCode == 0, result.Stderr);
        Assert.Equal(30, (int)result.Json["test"]!["sequences"]!);               // 3 per digit from the held-out voices
        Assert.Equal(10, result.Json["classes"]!.AsArray().Count);
        Assert.True(Baton.IO.ModelFile.Load(Path.Combine(dir, "model.safetensors")).Config.Bidirectional);   // the speech data's default
    }

    [Fact]
    public void Noise_is_added_at_the_asked_signal_to_noise_ratio()
    {
        float[] x = Tone(440, 8000, 1);
        float[] noisy = SpeechDigits.AddNoise(x, new Baton.Numerics.Rng(5));
        double signal = x.Average(v => (double)v * v);
        double noise = x.Zip(noisy).Average(p => (double)(p.Second - p.First) * (p.Second - p.First));
        double snr = 10 * Math.Log10(signal / noise);
        Assert.InRange(snr, SpeechDigits.MinSnrDb - 0.2, SpeechDigits.MaxSnrDb + 0.2);
    }
}
