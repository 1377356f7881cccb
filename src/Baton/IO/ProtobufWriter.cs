using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;

namespace Baton.IO;

/// <summary>
/// A minimal protocol-buffers encoder (proto2/proto3 wire format): varints, 64-bit and 32-bit
/// fixed values, length-delimited fields and packed repeated scalars. Enough to write ONNX
/// <c>ModelProto</c> files without a protobuf dependency.
/// </summary>
/// <remarks>
/// A field key is <c>(fieldNumber &lt;&lt; 3) | wireType</c>. Nested messages are written into a
/// child writer and then copied here behind their byte length.
/// </remarks>
internal sealed class ProtobufWriter
{
    /// <summary>Wire type 0: varint.</summary>
    public const int WireVarint = 0;

    /// <summary>Wire type 1: little-endian 64-bit.</summary>
    public const int WireFixed64 = 1;

    /// <summary>Wire type 2: length-delimited (strings, bytes, messages, packed repeated).</summary>
    public const int WireLengthDelimited = 2;

    /// <summary>Wire type 5: little-endian 32-bit.</summary>
    public const int WireFixed32 = 5;

    private readonly ArrayBufferWriter<byte> buffer = new(256);

    /// <summary>Number of bytes written so far.</summary>
    public int Length => buffer.WrittenCount;

    /// <summary>The bytes written so far.</summary>
    public ReadOnlySpan<byte> WrittenSpan => buffer.WrittenSpan;

    /// <summary>Copies the bytes written so far into a new array.</summary>
    public byte[] ToArray() => buffer.WrittenSpan.ToArray();

    /// <summary>Writes <paramref name="value"/> as a base-128 varint (7 bits per byte, low bits first).</summary>
    public void WriteVarint(ulong value)
    {
        Span<byte> span = buffer.GetSpan(10);
        int n = 0;
        while (value >= 0x80)
        {
            span[n++] = (byte)(value | 0x80);
            value >>= 7;
        }
        span[n++] = (byte)value;
        buffer.Advance(n);
    }

    /// <summary>Writes a field key.</summary>
    public void WriteTag(int field, int wireType)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(field, 1);
        WriteVarint(((ulong)(uint)field << 3) | (uint)wireType);
    }

    /// <summary>An <c>int64</c>/<c>int32</c>/enum field (negative values take ten bytes, as protobuf specifies).</summary>
    public void WriteInt64(int field, long value)
    {
        WriteTag(field, WireVarint);
        WriteVarint((ulong)value);
    }

    /// <summary>A <c>float</c> field (wire type 5).</summary>
    public void WriteFloat(int field, float value)
    {
        WriteTag(field, WireFixed32);
        Span<byte> span = buffer.GetSpan(4);
        BinaryPrimitives.WriteSingleLittleEndian(span, value);
        buffer.Advance(4);
    }

    /// <summary>A <c>string</c> field, UTF-8.</summary>
    public void WriteString(int field, string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        int count = Encoding.UTF8.GetByteCount(value);
        WriteTag(field, WireLengthDelimited);
        WriteVarint((ulong)count);
        Span<byte> span = buffer.GetSpan(count);
        Encoding.UTF8.GetBytes(value, span);
        buffer.Advance(count);
    }

    /// <summary>A <c>bytes</c> field.</summary>
    public void WriteBytes(int field, ReadOnlySpan<byte> value)
    {
        WriteTag(field, WireLengthDelimited);
        WriteVarint((ulong)value.Length);
        buffer.Write(value);
    }

    /// <summary>A nested message field: <paramref name="write"/> fills the message body.</summary>
    public void WriteMessage(int field, Action<ProtobufWriter> write)
    {
        ArgumentNullException.ThrowIfNull(write);
        var child = new ProtobufWriter();
        write(child);
        WriteBytes(field, child.WrittenSpan);
    }

    /// <summary>A packed <c>repeated int64</c> field (omitted when empty).</summary>
    public void WritePackedInt64(int field, ReadOnlySpan<long> values)
    {
        if (values.IsEmpty)
            return;
        var body = new ProtobufWriter();
        foreach (long v in values)
            body.WriteVarint((ulong)v);
        WriteBytes(field, body.WrittenSpan);
    }

    /// <summary>A packed <c>repeated float</c> field (omitted when empty).</summary>
    public void WritePackedFloats(int field, ReadOnlySpan<float> values)
    {
        if (values.IsEmpty)
            return;
        WriteTag(field, WireLengthDelimited);
        WriteVarint((ulong)values.Length * 4);
        WriteFloatsLittleEndian(values);
    }

    /// <summary>A <c>bytes</c> field holding <paramref name="values"/> as little-endian float32 (ONNX <c>raw_data</c>).</summary>
    public void WriteFloatsAsBytes(int field, ReadOnlySpan<float> values)
    {
        WriteTag(field, WireLengthDelimited);
        WriteVarint((ulong)values.Length * 4);
        WriteFloatsLittleEndian(values);
    }

    /// <summary>A <c>bytes</c> field holding <paramref name="values"/> as little-endian int64 (ONNX <c>raw_data</c>).</summary>
    public void WriteInt64sAsBytes(int field, ReadOnlySpan<long> values)
    {
        WriteTag(field, WireLengthDelimited);
        WriteVarint((ulong)values.Length * 8);
        Span<byte> span = buffer.GetSpan(values.Length * 8);
        for (int i = 0; i < values.Length; i++)
            BinaryPrimitives.WriteInt64LittleEndian(span[(i * 8)..], values[i]);
        buffer.Advance(values.Length * 8);
    }

    private void WriteFloatsLittleEndian(ReadOnlySpan<float> values)
    {
        int count = values.Length * 4;
        Span<byte> span = buffer.GetSpan(count);
        if (BitConverter.IsLittleEndian)
        {
            MemoryMarshal.AsBytes(values).CopyTo(span);
        }
        else
        {
            for (int i = 0; i < values.Length; i++)
                BinaryPrimitives.WriteSingleLittleEndian(span[(i * 4)..], values[i]);
        }
        buffer.Advance(count);
    }
}
