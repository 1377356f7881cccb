using System.Buffers.Binary;

namespace Baton.Data;

/// <summary>
/// Reads uncompressed PCM WAV (RIFF/WAVE, format 1, or WAVE_FORMAT_EXTENSIBLE with the PCM sub-format) of 8-bit unsigned,
/// 16-, 24- or 32-bit signed samples, any number of channels (averaged to mono), into floats in [-1, 1]. Anything else is a
/// <see cref="SequenceDataException"/> naming the file and the problem.
/// </summary>
internal static class WaveReader
{
    /// <summary>The mono samples and the sample rate of one recording.</summary>
    public sealed record Audio(int SampleRate, float[] Samples);

    /// <summary>Reads the file at <paramref name="path"/>.</summary>
    public static Audio Read(string path)
    {
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new SequenceDataException($"{path}: cannot be read ({e.Message.ReplaceLineEndings(" ")}).");
        }
        return Read(bytes, path);
    }

    /// <summary>Reads WAV bytes; <paramref name="name"/> names them in messages.</summary>
    public static Audio Read(ReadOnlySpan<byte> bytes, string name)
    {
        if (bytes.Length < 12 || !bytes[..4].SequenceEqual("RIFF"u8) || !bytes.Slice(8, 4).SequenceEqual("WAVE"u8))
            throw new SequenceDataException($"{name}: not a WAV file (no RIFF/WAVE header).");
        long position = 12;   // long: a chunk size near 4 GiB must not wrap the position around
        int format = -1, channels = 0, rate = 0, bits = 0;
        ReadOnlySpan<byte> data = default;
        bool haveData = false;
        while (position + 8 <= bytes.Length)
        {
            var id = bytes.Slice((int)position, 4);
            long size = BinaryPrimitives.ReadUInt32LittleEndian(bytes.Slice((int)position + 4, 4));
            int body = (int)position + 8;
            long available = Math.Min(size, bytes.Length - body);
            if (id.SequenceEqual("fmt "u8))
            {
                if (available < 16)
                    throw new SequenceDataException($"{name}: the WAV format chunk is truncated.");
                var fmt = bytes.Slice(body, (int)available);
                format = BinaryPrimitives.ReadUInt16LittleEndian(fmt);
                channels = BinaryPrimitives.ReadUInt16LittleEndian(fmt[2..]);
                rate = BinaryPrimitives.ReadInt32LittleEndian(fmt[4..]);
                bits = BinaryPrimitives.ReadUInt16LittleEndian(fmt[14..]);
                if (format == 0xFFFE && available >= 26)
                    format = BinaryPrimitives.ReadUInt16LittleEndian(fmt[24..]);   // the sub-format GUID's first two bytes
            }
            else if (id.SequenceEqual("data"u8))
            {
                data = bytes.Slice(body, (int)available);
                haveData = true;
                break;
            }
            position = body + size + (size & 1);
        }
        if (format < 0)
            throw new SequenceDataException($"{name}: the WAV file has no format chunk.");
        if (format != 1)
            throw new SequenceDataException($"{name}: WAV format {format}{FormatName(format)} is not PCM; convert it to PCM (e.g. sox in.wav -e signed-integer out.wav).");
        if (bits is not (8 or 16 or 24 or 32))
            throw new SequenceDataException($"{name}: {bits}-bit PCM is not supported (8, 16, 24 or 32 bits).");
        if (channels < 1 || rate < 1)
            throw new SequenceDataException($"{name}: the WAV format chunk gives {channels} channels at {rate} Hz.");
        if (!haveData)
            throw new SequenceDataException($"{name}: the WAV file has no data chunk.");
        int width = bits / 8;
        int frames = data.Length / (width * channels);
        var samples = new float[frames];
        for (int i = 0; i < frames; i++)
        {
            double sum = 0;
            for (int c = 0; c < channels; c++)
            {
                var s = data.Slice((i * channels + c) * width, width);
                sum += bits switch
                {
                    8 => (s[0] - 128) / 128.0,
                    16 => BinaryPrimitives.ReadInt16LittleEndian(s) / 32768.0,
                    24 => ((s[0] | (s[1] << 8) | (s[2] << 16)) << 8 >> 8) / 8388608.0,
                    _ => BinaryPrimitives.ReadInt32LittleEndian(s) / 2147483648.0,
                };
            }
            samples[i] = (float)(sum / channels);
        }
        return new Audio(rate, samples);
    }

    private static string FormatName(int format) => format switch
    {
        2 => " (ADPCM)",
        3 => " (IEEE float)",
        6 => " (A-law)",
        7 => " (µ-law)",
        0x55 => " (MP3)",
        _ => "",
    };

    /// <summary>Writes mono 16-bit PCM WAV bytes of <paramref name="samples"/> (clamped to [-1, 1]).</summary>
    public static byte[] Write16(ReadOnlySpan<float> samples, int sampleRate)
    {
        var bytes = new byte[44 + 2 * samples.Length];
        var span = bytes.AsSpan();
        "RIFF"u8.CopyTo(span);
        BinaryPrimitives.WriteInt32LittleEndian(span[4..], 36 + 2 * samples.Length);
        "WAVEfmt "u8.CopyTo(span[8..]);
        BinaryPrimitives.WriteInt32LittleEndian(span[16..], 16);
        BinaryPrimitives.WriteInt16LittleEndian(span[20..], 1);
        BinaryPrimitives.WriteInt16LittleEndian(span[22..], 1);
        BinaryPrimitives.WriteInt32LittleEndian(span[24..], sampleRate);
        BinaryPrimitives.WriteInt32LittleEndian(span[28..], 2 * sampleRate);
        BinaryPrimitives.WriteInt16LittleEndian(span[32..], 2);
        BinaryPrimitives.WriteInt16LittleEndian(span[34..], 16);
        "data"u8.CopyTo(span[36..]);
        BinaryPrimitives.WriteInt32LittleEndian(span[40..], 2 * samples.Length);
        for (int i = 0; i < samples.Length; i++)
            BinaryPrimitives.WriteInt16LittleEndian(span[(44 + 2 * i)..], (short)Math.Round(Math.Clamp(samples[i], -1f, 1f) * 32767));
        return bytes;
    }
}
