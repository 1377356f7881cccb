using System.Buffers.Binary;
using System.Text;
using Baton.Data;
using Baton.IO;

namespace Baton.Tests.Fuzz;

/// <summary>The inputs the fuzz targets found crashing, reduced by hand, each refused now as bad input.</summary>
public class FuzzRegressionTests
{
    private static byte[] SafeTensors(string header, int dataBytes)
    {
        byte[] json = Encoding.UTF8.GetBytes(header);
        var image = new byte[8 + json.Length + dataBytes];
        BinaryPrimitives.WriteUInt64LittleEndian(image, (ulong)json.Length);
        json.CopyTo(image, 8);
        return image;
    }

    [Theory]
    [InlineData("[null, 16]")]
    [InlineData("[0, true]")]
    [InlineData("[[0], 16]")]
    [InlineData("[\"0\", 16]")]
    public void A_data_offset_that_is_not_a_number_is_a_corrupted_header(string offsets)
    {
        byte[] image = SafeTensors($$$"""{"w":{"dtype":"F32","shape":[4],"data_offsets":{{{offsets}}}}}""", 16);
        var error = Assert.Throws<SafeTensorsFormatException>(() => SafeTensorsFile.Parse("m.safetensors", image));
        Assert.Contains("'data_offsets' must be [begin, end]", error.Message);
    }

    [Theory]
    [InlineData(0xFFFFFFFFu)]
    [InlineData(0x7FFFFFF9u)]
    public void A_wav_chunk_whose_size_runs_past_the_file_ends_the_chunk_walk_instead_of_wrapping(uint size)
    {
        // RIFF/WAVE, a valid fmt chunk, then a LIST chunk claiming about 4 GiB (or 2 GiB) before the data chunk.
        byte[] wav = WaveReader.Write16([0.5f, -0.5f, 0.25f], 8000);
        int data = wav.AsSpan().IndexOf("data"u8);
        var bytes = new List<byte>(wav[..data]);
        bytes.AddRange("LIST"u8.ToArray());
        bytes.AddRange(BitConverter.GetBytes(size));
        bytes.AddRange("INFO"u8.ToArray());
        bytes.AddRange(wav[data..]);
        var error = Assert.Throws<SequenceDataException>(() => WaveReader.Read([.. bytes], "long-list.wav"));
        Assert.Equal("long-list.wav: the WAV file has no data chunk.", error.Message);
    }

    [Fact]
    public void A_bad_cell_quoting_a_line_break_is_reported_on_one_line()
    {
        var table = CsvTable.Read(new StringReader("t,sales\n1,10\n2,\"2\n2\"\n3,12\n"), "series.csv");
        var error = Assert.Throws<TimeSeriesDataException>(() => TimeSeriesFrame.FromTable(table, "t", ["sales"], new TimeSeriesReadOptions()));
        Assert.DoesNotContain('\n', error.Message);
        Assert.Contains("'2 2'", error.Message);
    }

    [Fact]
    public void A_shape_written_over_several_lines_is_quoted_on_one_line()
    {
        byte[] image = SafeTensors("{\"w\":{\"dtype\":\"F32\",\"shape\":[\n3,\n2\n],\"data_offsets\":[0,16]}}", 16);
        var error = Assert.Throws<SafeTensorsFormatException>(() => SafeTensorsFile.Parse("m.safetensors", image));
        Assert.DoesNotContain('\n', error.Message);
        Assert.Contains("hold 16 bytes but F32", error.Message);
    }
}
