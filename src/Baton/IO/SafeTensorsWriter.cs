using System.Buffers.Binary;
using System.Text;
using System.Text.Json;

namespace Baton.IO;

/// <summary>
/// Collects tensors and metadata and writes them as one safetensors file, atomically
/// (see <see cref="AtomicFile"/>). Tensors are written in the order they were added; the
/// header is padded with spaces to a multiple of 8 bytes, as the reference writer does.
/// </summary>
internal sealed class SafeTensorsWriter
{
    private readonly List<(string Name, string DType, long[] Shape, byte[] Data)> entries = [];
    private readonly HashSet<string> names = new(StringComparer.Ordinal);

    /// <summary>The <c>__metadata__</c> string map to write.</summary>
    public Dictionary<string, string> Metadata { get; } = new(StringComparer.Ordinal);

    /// <summary>Adds a float32 tensor (the values are copied).</summary>
    public void AddFloat32(string name, ReadOnlySpan<int> shape, ReadOnlySpan<float> values)
    {
        CheckEntry(name, shape, values.Length);
        var data = new byte[values.Length * 4];
        for (int i = 0; i < values.Length; i++)
            BinaryPrimitives.WriteSingleLittleEndian(data.AsSpan(4 * i), values[i]);
        entries.Add((name, "F32", ToLong(shape), data));
    }

    /// <summary>Adds an int64 tensor (the values are copied).</summary>
    public void AddInt64(string name, ReadOnlySpan<int> shape, ReadOnlySpan<long> values)
    {
        CheckEntry(name, shape, values.Length);
        var data = new byte[values.Length * 8];
        for (int i = 0; i < values.Length; i++)
            BinaryPrimitives.WriteInt64LittleEndian(data.AsSpan(8 * i), values[i]);
        entries.Add((name, "I64", ToLong(shape), data));
    }

    /// <summary>Adds a float64 tensor (the values are copied).</summary>
    public void AddFloat64(string name, ReadOnlySpan<int> shape, ReadOnlySpan<double> values)
    {
        CheckEntry(name, shape, values.Length);
        var data = new byte[values.Length * 8];
        for (int i = 0; i < values.Length; i++)
            BinaryPrimitives.WriteDoubleLittleEndian(data.AsSpan(8 * i), values[i]);
        entries.Add((name, "F64", ToLong(shape), data));
    }

    private void CheckEntry(string name, ReadOnlySpan<int> shape, int length)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        if (name == "__metadata__")
            throw new ArgumentException("'__metadata__' is reserved.", nameof(name));
        long count = 1;
        foreach (int d in shape)
        {
            ArgumentOutOfRangeException.ThrowIfNegative(d, nameof(shape));
            count *= d;
        }
        if (count != length)
            throw new ArgumentException($"Tensor '{name}': shape holds {count} values but {length} were given.", nameof(shape));
        if (!names.Add(name))
            throw new ArgumentException($"Tensor '{name}' was already added.", nameof(name));
    }

    private static long[] ToLong(ReadOnlySpan<int> shape)
    {
        var result = new long[shape.Length];
        for (int i = 0; i < shape.Length; i++)
            result[i] = shape[i];
        return result;
    }

    /// <summary>The complete file image.</summary>
    public byte[] ToArray()
    {
        using var stream = new MemoryStream();
        WriteTo(stream);
        return stream.ToArray();
    }

    /// <summary>Writes the file atomically to <paramref name="path"/>.</summary>
    public void Save(string path) => AtomicFile.Write(path, WriteTo);

    /// <summary>Writes the file image to <paramref name="stream"/>.</summary>
    public void WriteTo(Stream stream)
    {
        var header = BuildHeader();
        Span<byte> length = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)header.Length);
        stream.Write(length);
        stream.Write(header);
        foreach (var entry in entries)
            stream.Write(entry.Data);
    }

    private byte[] BuildHeader()
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            if (Metadata.Count > 0)
            {
                json.WriteStartObject("__metadata__");
                foreach (var (key, value) in Metadata)
                    json.WriteString(key, value);
                json.WriteEndObject();
            }
            long offset = 0;
            foreach (var entry in entries)
            {
                json.WriteStartObject(entry.Name);
                json.WriteString("dtype", entry.DType);
                json.WriteStartArray("shape");
                foreach (long d in entry.Shape)
                    json.WriteNumberValue(d);
                json.WriteEndArray();
                json.WriteStartArray("data_offsets");
                json.WriteNumberValue(offset);
                json.WriteNumberValue(offset + entry.Data.Length);
                json.WriteEndArray();
                json.WriteEndObject();
                offset += entry.Data.Length;
            }
            json.WriteEndObject();
        }
        int padded = (int)((buffer.Length + 7) / 8 * 8);
        while (buffer.Length < padded)
            buffer.WriteByte((byte)' ');
        return buffer.ToArray();
    }
}
