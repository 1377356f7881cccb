using Baton.IO;

namespace Baton.Tests.Interop;

public sealed class ProtobufWriterTests
{
    [Theory]
    [InlineData(0UL, new byte[] { 0x00 })]
    [InlineData(1UL, new byte[] { 0x01 })]
    [InlineData(127UL, new byte[] { 0x7F })]
    [InlineData(128UL, new byte[] { 0x80, 0x01 })]
    [InlineData(300UL, new byte[] { 0xAC, 0x02 })]
    [InlineData(ulong.MaxValue, new byte[] { 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01 })]
    public void Varints_use_seven_bits_per_byte_low_bits_first(ulong value, byte[] expected)
    {
        var w = new ProtobufWriter();
        w.WriteVarint(value);
        Assert.Equal(expected, w.ToArray());
    }

    [Fact]
    public void Negative_int64_fields_take_ten_bytes()
    {
        var w = new ProtobufWriter();
        w.WriteInt64(1, -1);
        Assert.Equal(new byte[] { 0x08, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01 }, w.ToArray());
    }

    [Fact]
    public void Strings_and_nested_messages_are_length_delimited()
    {
        // The protobuf documentation's example: message Test3 { Test1 c = 3; } with Test1.a = 150.
        var w = new ProtobufWriter();
        w.WriteMessage(3, m => m.WriteInt64(1, 150));
        w.WriteString(2, "testing");
        Assert.Equal(
            new byte[] { 0x1A, 0x03, 0x08, 0x96, 0x01, 0x12, 0x07, (byte)'t', (byte)'e', (byte)'s', (byte)'t', (byte)'i', (byte)'n', (byte)'g' },
            w.ToArray());
    }

    [Fact]
    public void Packed_repeated_fields_carry_their_byte_length()
    {
        var w = new ProtobufWriter();
        w.WritePackedInt64(4, [3, 270, 86942]);
        w.WritePackedFloats(5, [1f]);
        Assert.Equal(
            new byte[] { 0x22, 0x06, 0x03, 0x8E, 0x02, 0x9E, 0xA7, 0x05, 0x2A, 0x04, 0x00, 0x00, 0x80, 0x3F },
            w.ToArray());
    }

    [Fact]
    public void Float_fields_are_little_endian_fixed32()
    {
        var w = new ProtobufWriter();
        w.WriteFloat(2, -2f);
        Assert.Equal(new byte[] { 0x15, 0x00, 0x00, 0x00, 0xC0 }, w.ToArray());
    }
}
