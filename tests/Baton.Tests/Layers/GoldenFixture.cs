using System.Buffers.Binary;
using System.Text.Json;

namespace Baton.Tests.Layers;

/// <summary>
/// Reads a fixture written by tools/golden/fixture.py: the safetensors layout (u64 little-endian header length,
/// JSON header with dtype F32 / I32, shape and data offsets, then raw little-endian data).
/// </summary>
public sealed class GoldenFixture
{
    private readonly Dictionary<string, (int[] Shape, float[]? F, int[]? I)> tensors = new(StringComparer.Ordinal);

    public GoldenFixture(string path)
    {
        byte[] bytes = File.ReadAllBytes(path);
        int headerLength = checked((int)BinaryPrimitives.ReadUInt64LittleEndian(bytes));
        int dataStart = 8 + headerLength;
        using var doc = JsonDocument.Parse(bytes.AsMemory(8, headerLength));
        foreach (var entry in doc.RootElement.EnumerateObject())
        {
            if (entry.Name == "__metadata__")
            {
                foreach (var m in entry.Value.EnumerateObject())
                    Metadata[m.Name] = m.Value.GetString()!;
                continue;
            }
            string dtype = entry.Value.GetProperty("dtype").GetString()!;
            int[] shape = entry.Value.GetProperty("shape").EnumerateArray().Select(e => e.GetInt32()).ToArray();
            var offsets = entry.Value.GetProperty("data_offsets").EnumerateArray().Select(e => e.GetInt32()).ToArray();
            var raw = bytes.AsSpan(dataStart + offsets[0], offsets[1] - offsets[0]);
            int n = raw.Length / 4;
            if (dtype == "F32")
            {
                var f = new float[n];
                for (int i = 0; i < n; i++)
                    f[i] = BinaryPrimitives.ReadSingleLittleEndian(raw[(4 * i)..]);
                tensors[entry.Name] = (shape, f, null);
            }
            else if (dtype == "I32")
            {
                var a = new int[n];
                for (int i = 0; i < n; i++)
                    a[i] = BinaryPrimitives.ReadInt32LittleEndian(raw[(4 * i)..]);
                tensors[entry.Name] = (shape, null, a);
            }
            else
            {
                throw new InvalidDataException($"Unsupported dtype {dtype} in {path}.");
            }
        }
    }

    public Dictionary<string, string> Metadata { get; } = new(StringComparer.Ordinal);

    public IEnumerable<string> Names => tensors.Keys;

    public bool Has(string name) => tensors.ContainsKey(name);

    public float[] Floats(string name) => tensors[name].F ?? throw new InvalidDataException($"{name} is not F32.");

    public int[] Ints(string name) => tensors[name].I ?? throw new InvalidDataException($"{name} is not I32.");

    public int[] Shape(string name) => tensors[name].Shape;

    /// <summary>The directory holding the committed fixtures of <paramref name="area"/>.</summary>
    public static string Directory(string area) => Path.Combine(AppContext.BaseDirectory, "golden", area);
}
