using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;

namespace Baton.IO;

/// <summary>
/// A safetensors file read into memory and validated: an 8-byte little-endian header length N, N bytes
/// of UTF-8 JSON (<c>{"name": {"dtype", "shape", "data_offsets": [begin, end]}, "__metadata__": {string: string}}</c>),
/// then the raw little-endian tensor data, offsets relative to the start of the data section.
/// Every problem is reported as a <see cref="SafeTensorsFormatException"/> naming the file and tensor.
/// </summary>
internal sealed class SafeTensorsFile
{
    /// <summary>Largest header accepted (as the reference implementation: 100 MB).</summary>
    public const long MaxHeaderBytes = 100_000_000;

    private readonly byte[] bytes;
    private readonly long dataStart;
    private readonly Dictionary<string, SafeTensorInfo> byName;

    private SafeTensorsFile(string path, byte[] bytes, long dataStart, List<SafeTensorInfo> tensors, Dictionary<string, string> metadata)
    {
        FilePath = path;
        this.bytes = bytes;
        this.dataStart = dataStart;
        Tensors = tensors;
        Metadata = metadata;
        byName = tensors.ToDictionary(t => t.Name, StringComparer.Ordinal);
    }

    /// <summary>The path the file was read from (used in error messages).</summary>
    public string FilePath { get; }

    /// <summary>The tensors in header order.</summary>
    public IReadOnlyList<SafeTensorInfo> Tensors { get; }

    /// <summary>The <c>__metadata__</c> string map (empty when absent).</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>Reads and validates <paramref name="path"/>.</summary>
    public static SafeTensorsFile Read(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!File.Exists(path))
            throw new FileNotFoundException($"{path}: file not found.", path);
        return Parse(path, File.ReadAllBytes(path));
    }

    /// <summary>Validates a safetensors image held in memory; <paramref name="name"/> is used in error messages.</summary>
    public static SafeTensorsFile Parse(string name, byte[] bytes)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        if (bytes.Length < 8)
            throw new SafeTensorsFormatException(name, null, $"not a safetensors file: {bytes.Length} bytes, shorter than the 8-byte header length.");
        ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        if (headerLength < 2 || headerLength > MaxHeaderBytes)
            throw new SafeTensorsFormatException(name, null, $"not a safetensors file: header length {headerLength} is not plausible.");
        if ((long)headerLength > bytes.Length - 8)
            throw new SafeTensorsFormatException(name, null,
                $"truncated or not a safetensors file: header length {headerLength} exceeds the {bytes.Length - 8} bytes that follow.");
        var header = bytes.AsSpan(8, (int)headerLength);
        if (header[0] != (byte)'{')
            throw new SafeTensorsFormatException(name, null, "not a safetensors file: the header does not start with '{'.");

        if (!System.Text.Unicode.Utf8.IsValid(header))
            throw new SafeTensorsFormatException(name, null, "corrupted header: it is not valid UTF-8.");

        long dataStart = 8 + (long)headerLength;
        long dataLength = bytes.Length - dataStart;
        var tensors = new List<SafeTensorInfo>();
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(bytes.AsMemory(8, (int)headerLength));
        }
        catch (JsonException e)
        {
            throw new SafeTensorsFormatException(name, null, $"corrupted header: invalid JSON ({e.Message}).");
        }
        using (doc)
        {
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
                throw new SafeTensorsFormatException(name, null, "corrupted header: the JSON header is not an object.");
            foreach (var property in doc.RootElement.EnumerateObject())
            {
                if (property.Name == "__metadata__")
                    ReadMetadata(name, property.Value, metadata);
                else
                    tensors.Add(ReadEntry(name, property.Name, property.Value, dataLength));
            }
        }

        var sorted = tensors.OrderBy(t => t.Begin).ThenBy(t => t.End).ToList();
        for (int i = 1; i < sorted.Count; i++)
        {
            if (sorted[i].Begin < sorted[i - 1].End)
                throw new SafeTensorsFormatException(name, sorted[i].Name,
                    $"data offsets [{sorted[i].Begin}, {sorted[i].End}] overlap those of '{sorted[i - 1].Name}' [{sorted[i - 1].Begin}, {sorted[i - 1].End}].");
        }
        return new SafeTensorsFile(name, bytes, dataStart, tensors, metadata);
    }

    private static void ReadMetadata(string file, JsonElement value, Dictionary<string, string> metadata)
    {
        if (value.ValueKind == JsonValueKind.Null)
            return;
        if (value.ValueKind != JsonValueKind.Object)
            throw new SafeTensorsFormatException(file, "__metadata__", "corrupted header: __metadata__ is not an object of strings.");
        foreach (var item in value.EnumerateObject())
        {
            if (item.Value.ValueKind != JsonValueKind.String)
                throw new SafeTensorsFormatException(file, "__metadata__", $"corrupted header: metadata value '{item.Name}' is not a string.");
            metadata[item.Name] = item.Value.GetString()!;
        }
    }

    private static SafeTensorInfo ReadEntry(string file, string tensor, JsonElement value, long dataLength)
    {
        if (value.ValueKind != JsonValueKind.Object)
            throw new SafeTensorsFormatException(file, tensor, "corrupted header: entry is not an object.");
        if (!value.TryGetProperty("dtype", out var dtypeElement) || dtypeElement.ValueKind != JsonValueKind.String)
            throw new SafeTensorsFormatException(file, tensor, "corrupted header: missing 'dtype'.");
        string dtypeName = dtypeElement.GetString()!;
        SafeTensorDType dtype = dtypeName switch
        {
            "F32" => SafeTensorDType.F32,
            "F64" => SafeTensorDType.F64,
            "F16" => SafeTensorDType.F16,
            "BF16" => SafeTensorDType.BF16,
            "I64" => SafeTensorDType.I64,
            "I32" => SafeTensorDType.I32,
            _ => throw new SafeTensorsFormatException(file, tensor, $"unsupported dtype '{dtypeName}' (Baton reads F32, F64, F16, BF16, I64, I32)."),
        };
        if (!value.TryGetProperty("shape", out var shapeElement) || shapeElement.ValueKind != JsonValueKind.Array)
            throw new SafeTensorsFormatException(file, tensor, "corrupted header: missing 'shape'.");
        var shape = new List<long>();
        foreach (var d in shapeElement.EnumerateArray())
        {
            if (d.ValueKind != JsonValueKind.Number || !d.TryGetInt64(out long dim) || dim < 0 || dim > int.MaxValue)
                throw new SafeTensorsFormatException(file, tensor, $"corrupted header: invalid shape {shapeElement.GetRawText()}.");
            shape.Add(dim);
        }
        if (!value.TryGetProperty("data_offsets", out var offsets) || offsets.ValueKind != JsonValueKind.Array || offsets.GetArrayLength() != 2
            || offsets[0].ValueKind != JsonValueKind.Number || offsets[1].ValueKind != JsonValueKind.Number
            || !offsets[0].TryGetInt64(out long begin) || !offsets[1].TryGetInt64(out long end))
            throw new SafeTensorsFormatException(file, tensor, "corrupted header: 'data_offsets' must be [begin, end].");
        if (begin < 0 || end < begin)
            throw new SafeTensorsFormatException(file, tensor, $"corrupted header: invalid data offsets [{begin}, {end}].");
        if (end > dataLength)
            throw new SafeTensorsFormatException(file, tensor,
                $"data offsets [{begin}, {end}] lie beyond the {dataLength}-byte data section: the file is truncated or corrupted.");
        var info = new SafeTensorInfo(tensor, dtype, [.. shape], begin, end);
        long expected;
        try
        {
            expected = checked(info.ElementCount * SafeTensorInfo.ElementSize(dtype));
        }
        catch (OverflowException)
        {
            throw new SafeTensorsFormatException(file, tensor, $"corrupted header: shape {shapeElement.GetRawText()} is too large.");
        }
        if (end - begin != expected)
            throw new SafeTensorsFormatException(file, tensor,
                $"data offsets [{begin}, {end}] hold {end - begin} bytes but {dtypeName} {shapeElement.GetRawText()} needs {expected}.");
        return info;
    }

    /// <summary>True when a tensor of that name exists.</summary>
    public bool Contains(string name) => byName.ContainsKey(name);

    /// <summary>The header entry of <paramref name="name"/>.</summary>
    public SafeTensorInfo Info(string name) =>
        byName.TryGetValue(name, out var info) ? info : throw new SafeTensorsFormatException(FilePath, name, "tensor not found in the file.");

    /// <summary>Reads a floating-point tensor as float32 (F64, F16 and BF16 are converted).</summary>
    public float[] ReadFloat32(string name)
    {
        var info = Info(name);
        var result = new float[info.ElementCount];
        ReadFloat32(name, result);
        return result;
    }

    /// <summary>Reads a floating-point tensor as float32 into <paramref name="destination"/>, whose length must equal the element count.</summary>
    public void ReadFloat32(string name, Span<float> destination)
    {
        var info = Info(name);
        if (destination.Length != info.ElementCount)
            throw new SafeTensorsFormatException(FilePath, name, $"holds {info.ElementCount} values, {destination.Length} expected.");
        var raw = Raw(info);
        switch (info.DType)
        {
            case SafeTensorDType.F32:
                for (int i = 0; i < destination.Length; i++)
                    destination[i] = BinaryPrimitives.ReadSingleLittleEndian(raw[(4 * i)..]);
                break;
            case SafeTensorDType.F64:
                for (int i = 0; i < destination.Length; i++)
                    destination[i] = (float)BinaryPrimitives.ReadDoubleLittleEndian(raw[(8 * i)..]);
                break;
            case SafeTensorDType.F16:
                for (int i = 0; i < destination.Length; i++)
                    destination[i] = (float)BinaryPrimitives.ReadHalfLittleEndian(raw[(2 * i)..]);
                break;
            case SafeTensorDType.BF16:
                for (int i = 0; i < destination.Length; i++)
                    destination[i] = BitConverter.Int32BitsToSingle(BinaryPrimitives.ReadUInt16LittleEndian(raw[(2 * i)..]) << 16);
                break;
            default:
                throw new SafeTensorsFormatException(FilePath, name, $"has dtype {info.DType}, a floating-point tensor was expected.");
        }
    }

    /// <summary>Reads an integer tensor (I64 or I32) as int64.</summary>
    public long[] ReadInt64(string name)
    {
        var info = Info(name);
        var raw = Raw(info);
        var result = new long[info.ElementCount];
        switch (info.DType)
        {
            case SafeTensorDType.I64:
                for (int i = 0; i < result.Length; i++)
                    result[i] = BinaryPrimitives.ReadInt64LittleEndian(raw[(8 * i)..]);
                break;
            case SafeTensorDType.I32:
                for (int i = 0; i < result.Length; i++)
                    result[i] = BinaryPrimitives.ReadInt32LittleEndian(raw[(4 * i)..]);
                break;
            default:
                throw new SafeTensorsFormatException(FilePath, name, $"has dtype {info.DType}, an integer tensor was expected.");
        }
        return result;
    }

    private ReadOnlySpan<byte> Raw(SafeTensorInfo info) =>
        bytes.AsSpan((int)(dataStart + info.Begin), (int)(info.End - info.Begin));
}
