using System.Buffers.Binary;
using System.Text;
using Baton.IO;

namespace Baton.Tests.IO;

public class SafeTensorsTests
{
    private static byte[] Image(string header, byte[] data)
    {
        var json = Encoding.UTF8.GetBytes(header);
        var bytes = new byte[8 + json.Length + data.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, (ulong)json.Length);
        json.CopyTo(bytes, 8);
        data.CopyTo(bytes, 8 + json.Length);
        return bytes;
    }

    private static SafeTensorsFormatException Rejects(byte[] bytes, string name = "bad.safetensors") =>
        Assert.Throws<SafeTensorsFormatException>(() => SafeTensorsFile.Parse(name, bytes));

    [Fact]
    public void Float32_int64_and_metadata_round_trip_exactly()
    {
        using var dir = new TempDirectory();
        var writer = new SafeTensorsWriter();
        writer.Metadata["baton.config"] = "{\"task\":\"lm\",\"vocab\":[\"é\",\"\\n\"]}";
        float[] weights = [1.5f, -0f, float.Epsilon, 3.4e38f, -1e-20f, 0.1f];
        writer.AddFloat32("rnn.weight_ih_l0", [2, 3], weights);
        writer.AddInt64("trainer.step", [2], [long.MaxValue, -5]);
        writer.AddFloat32("scalar", [], [42f]);
        string path = dir.File("m.safetensors");
        writer.Save(path);

        var file = SafeTensorsFile.Read(path);
        Assert.Equal("{\"task\":\"lm\",\"vocab\":[\"é\",\"\\n\"]}", file.Metadata["baton.config"]);
        Assert.Equal([2L, 3L], file.Info("rnn.weight_ih_l0").Shape);
        Assert.Equal(weights, file.ReadFloat32("rnn.weight_ih_l0"));
        Assert.Equal([long.MaxValue, -5L], file.ReadInt64("trainer.step"));
        Assert.Equal([42f], file.ReadFloat32("scalar"));
        Assert.Empty(file.Info("scalar").Shape);
        Assert.Equal(0, (new FileInfo(path).Length - 8 - file.Tensors.Sum(t => t.End - t.Begin)) % 8);
    }

    [Fact]
    public void A_file_written_by_python_reads_with_its_metadata()
    {
        var file = SafeTensorsFile.Read(TrainingGoldenPath("char_lstm_init.safetensors"));
        Assert.Contains("\"task\": \"lm\"", file.Metadata["baton.config"]);
        Assert.Equal([11L, 8L], file.Info("embedding.weight").Shape);
        Assert.Equal([64L, 16L], file.Info("rnn.weight_hh_l1").Shape);
        Assert.Equal(11, file.ReadFloat32("head.bias").Length);
    }

    private static string TrainingGoldenPath(string name) => Path.Combine(AppContext.BaseDirectory, "golden", "training", name);

    [Fact]
    public void Half_bfloat16_and_double_tensors_are_read_as_float32()
    {
        var data = new byte[2 * 2 + 2 * 2 + 8];
        BinaryPrimitives.WriteHalfLittleEndian(data.AsSpan(0), (Half)1.5f);
        BinaryPrimitives.WriteHalfLittleEndian(data.AsSpan(2), (Half)(-0.25f));
        BinaryPrimitives.WriteUInt16LittleEndian(data.AsSpan(4), (ushort)(BitConverter.SingleToInt32Bits(3.0f) >> 16));
        BinaryPrimitives.WriteUInt16LittleEndian(data.AsSpan(6), (ushort)(BitConverter.SingleToInt32Bits(-2.5f) >> 16));
        BinaryPrimitives.WriteDoubleLittleEndian(data.AsSpan(8), 0.1);
        var file = SafeTensorsFile.Parse("mixed", Image(
            "{\"h\":{\"dtype\":\"F16\",\"shape\":[2],\"data_offsets\":[0,4]},\"b\":{\"dtype\":\"BF16\",\"shape\":[2],\"data_offsets\":[4,8]}," +
            "\"d\":{\"dtype\":\"F64\",\"shape\":[1],\"data_offsets\":[8,16]}}", data));
        Assert.Equal([1.5f, -0.25f], file.ReadFloat32("h"));
        Assert.Equal([3.0f, -2.5f], file.ReadFloat32("b"));
        Assert.Equal([0.1f], file.ReadFloat32("d"));
    }

    [Fact]
    public void Truncated_file_is_rejected_naming_file_and_tensor()
    {
        var writer = new SafeTensorsWriter();
        writer.AddFloat32("head.weight", [4, 4], new float[16]);
        var bytes = writer.ToArray();
        var e = Rejects(bytes[..^10], "model.safetensors");
        Assert.Equal("head.weight", e.TensorName);
        Assert.Contains("model.safetensors", e.Message);
        Assert.Contains("truncated", e.Message);
        Assert.Contains("truncated", Rejects(bytes[..20]).Message);
        Assert.Contains("shorter", Rejects(bytes[..5]).Message);
    }

    [Fact]
    public void Foreign_files_are_rejected_as_not_safetensors()
    {
        Assert.Contains("not a safetensors file", Rejects(Encoding.UTF8.GetBytes("PK\u0003\u0004 this is a zip archive, not tensors at all")).Message);
        Assert.Contains("not a safetensors file", Rejects(Encoding.UTF8.GetBytes("hello, world\n")).Message);
        var notJson = Image("[1,2,3,4]", []);
        Assert.Contains("does not start with '{'", Rejects(notJson).Message);
    }

    [Fact]
    public void Corrupted_header_json_is_rejected()
    {
        var e = Rejects(Image("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]", new byte[4]));
        Assert.Contains("corrupted header", e.Message);
        var missing = Rejects(Image("{\"a\":{\"dtype\":\"F32\",\"shape\":[1]}}", new byte[4]));
        Assert.Equal("a", missing.TensorName);
        Assert.Contains("data_offsets", missing.Message);
    }

    [Fact]
    public void Offsets_out_of_range_overlapping_or_mis_sized_are_rejected_naming_the_tensor()
    {
        var outOfRange = Rejects(Image("{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", new byte[4]));
        Assert.Equal("w", outOfRange.TensorName);
        var overlap = Rejects(Image(
            "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", new byte[12]));
        Assert.Contains("overlap", overlap.Message);
        Assert.Equal("b", overlap.TensorName);
        var size = Rejects(Image("{\"w\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", new byte[8]));
        Assert.Contains("needs 12", size.Message);
    }

    [Fact]
    public void Unsupported_dtype_is_rejected_and_float_read_of_an_integer_tensor_fails()
    {
        var e = Rejects(Image("{\"w\":{\"dtype\":\"U8\",\"shape\":[4],\"data_offsets\":[0,4]}}", new byte[4]));
        Assert.Contains("unsupported dtype 'U8'", e.Message);
        var file = SafeTensorsFile.Parse("ints", Image("{\"n\":{\"dtype\":\"I64\",\"shape\":[1],\"data_offsets\":[0,8]}}", new byte[8]));
        var wrong = Assert.Throws<SafeTensorsFormatException>(() => file.ReadFloat32("n"));
        Assert.Equal("n", wrong.TensorName);
    }

    [Fact]
    public void A_failed_write_leaves_the_previous_file_intact_and_no_temporary_file()
    {
        using var dir = new TempDirectory();
        string path = dir.File("keep.safetensors");
        var writer = new SafeTensorsWriter();
        writer.AddFloat32("x", [1], [1f]);
        writer.Save(path);
        var before = File.ReadAllBytes(path);
        Assert.Throws<InvalidOperationException>(() => AtomicFile.Write(path, stream =>
        {
            stream.Write(new byte[100]);
            throw new InvalidOperationException("disk full");
        }));
        Assert.Equal(before, File.ReadAllBytes(path));
        Assert.Single(Directory.GetFiles(dir.Path));
    }
}
