using System.Text.Json;
using Baton.Lab;

namespace Baton.Tests.Lab;

public class ParameterCountTests
{
    private static JsonElement Golden()
    {
        string path = Path.Combine(AppContext.BaseDirectory, "golden", "lab", "params.json");
        return JsonDocument.Parse(File.ReadAllText(path)).RootElement;
    }

    [Fact]
    public void Recurrent_tensors_match_pytorch_names_shapes_and_numel()
    {
        foreach (var entry in Golden().GetProperty("recurrent").EnumerateArray())
        {
            var shape = new RecurrentShape(entry.GetProperty("cell").GetString()!, entry.GetProperty("input").GetInt32(),
                entry.GetProperty("hidden").GetInt32(), entry.GetProperty("layers").GetInt32(),
                entry.GetProperty("bidirectional").GetBoolean(), entry.GetProperty("proj").GetInt32());
            var tensors = ParameterCount.Model(shape, entry.GetProperty("vocab").GetInt32());
            var expected = entry.GetProperty("shapes").EnumerateObject().ToList();
            Assert.Equal(expected.Select(p => p.Name), tensors.Select(t => t.Name));
            for (int i = 0; i < expected.Count; i++)
                Assert.Equal(expected[i].Value.EnumerateArray().Select(v => v.GetInt32()), tensors[i].Shape);
            Assert.Equal(entry.GetProperty("total").GetInt64(), ParameterCount.Total(tensors));
        }
    }

    [Fact]
    public void Comparison_networks_match_pytorch_numel()
    {
        var golden = Golden();
        foreach (var e in golden.GetProperty("transformer").EnumerateArray())
            Assert.Equal(e.GetProperty("total").GetInt64(),
                ParameterCount.TransformerEncoderLayer(e.GetProperty("d_model").GetInt32(), e.GetProperty("dim_feedforward").GetInt32()));
        foreach (var e in golden.GetProperty("conv1d").EnumerateArray())
            Assert.Equal(e.GetProperty("total").GetInt64(),
                ParameterCount.Convolution(e.GetProperty("input").GetInt32(), e.GetProperty("hidden").GetInt32(), e.GetProperty("kernel").GetInt32()));
        foreach (var e in golden.GetProperty("linear").EnumerateArray())
            Assert.Equal(e.GetProperty("total").GetInt64(),
                ParameterCount.FullyConnected(e.GetProperty("window").GetInt32(), e.GetProperty("input").GetInt32(), e.GetProperty("hidden").GetInt32()));
    }

    [Theory]
    // Hand-derived: G·H·(I+H) + 2·G·H for layer 0, G·H·(H·D+H) + 2·G·H for the rest, times D.
    [InlineData("rnn", 1, 64, 1, false, 64 * (1 + 64) + 2 * 64)]
    [InlineData("lstm", 1, 64, 1, false, 4 * 64 * (1 + 64) + 2 * 4 * 64)]
    [InlineData("gru", 1, 64, 1, false, 3 * 64 * (1 + 64) + 2 * 3 * 64)]
    [InlineData("lstm", 10, 20, 2, true, 2 * (80 * 30 + 160) + 2 * (80 * 60 + 160))]
    [InlineData("gru", 8, 16, 3, false, (48 * 24 + 96) + 2 * (48 * 32 + 96))]
    [InlineData("mingru", 8, 16, 2, false, (32 * 8 + 32) + (32 * 16 + 32))]
    [InlineData("minlstm", 8, 16, 1, true, 2 * (48 * 8 + 48))]
    public void Totals_equal_the_closed_formula(string cell, int input, int hidden, int layers, bool bidirectional, long expected)
    {
        var shape = new RecurrentShape(cell, input, hidden, layers, bidirectional);
        Assert.Equal(expected, ParameterCount.Total(ParameterCount.Recurrent(shape)));
        long perLayer = Enumerable.Range(0, layers)
            .Sum(k => shape.Directions * ParameterCount.PerLayerDirection(cell, k == 0 ? input : hidden * shape.Directions, hidden));
        Assert.Equal(expected, perLayer);
    }

    [Theory]
    [InlineData("rnn", 3, 5, 2, true, 0)]
    [InlineData("rnn_relu", 4, 6, 1, false, 0)]
    [InlineData("lstm", 5, 16, 2, true, 8)]
    [InlineData("gru", 7, 5, 3, false, 0)]
    [InlineData("mingru", 4, 8, 2, true, 0)]
    [InlineData("minlstm", 4, 8, 2, false, 0)]
    public void Counts_equal_the_tensors_a_recurrent_stack_registers(string cell, int input, int hidden, int layers, bool bidirectional, int proj)
    {
        var shape = new RecurrentShape(cell, input, hidden, layers, bidirectional, proj);
        var parameters = new Baton.Layers.Parameters();
        var kind = cell switch
        {
            "lstm" => Baton.Layers.CellKind.Lstm, "gru" => Baton.Layers.CellKind.Gru, "mingru" => Baton.Layers.CellKind.MinGru,
            "minlstm" => Baton.Layers.CellKind.MinLstm, _ => Baton.Layers.CellKind.Rnn,
        };
        _ = new Baton.Layers.RecurrentStack(new Baton.Layers.RecurrentOptions(kind, input, hidden, layers, bidirectional, proj), parameters);
        var expected = ParameterCount.Recurrent(shape);
        Assert.Equal(parameters.Tensors.Select(t => t.Name).Order(), expected.Select(t => t.Name).Order());
        foreach (var t in expected)
            Assert.Equal(parameters[t.Name].Shape, t.Shape);
        Assert.Equal(parameters.Count, ParameterCount.Total(expected));
    }

    [Fact]
    public void Lstm_projection_adds_weight_hr_and_narrows_the_state()
    {
        var shape = new RecurrentShape("lstm", 5, 16, 1, false, 8);
        // weight_ih 64x5, weight_hh 64x8, two biases 64, weight_hr 8x16.
        Assert.Equal(64 * 5 + 64 * 8 + 128 + 8 * 16, ParameterCount.Total(ParameterCount.Recurrent(shape)));
        Assert.Equal(64 * 5 + 64 * 8 + 128 + 8 * 16, ParameterCount.PerLayerDirection("lstm", 5, 16, 8));
    }

    [Fact]
    public void Fully_connected_grows_with_the_window_and_the_recurrent_stack_does_not()
    {
        Assert.Equal(2 * ParameterCount.FullyConnected(100, 1, 64) - 64, ParameterCount.FullyConnected(200, 1, 64));
        Assert.Equal(1, ParameterCount.ConvolutionLayersToCover(3, 3));
        Assert.Equal(50, ParameterCount.ConvolutionLayersToCover(101, 3));
        Assert.Equal(51, ParameterCount.ConvolutionLayersToCover(102, 3));
        Assert.Equal(ParameterCount.Convolution(1, 64, 3) + 49 * ParameterCount.Convolution(64, 64, 3),
            ParameterCount.ConvolutionStack(101, 1, 64, 3));
    }

    [Fact]
    public void Invalid_shapes_are_rejected_with_the_argument_named()
    {
        Assert.Throws<ArgumentException>(() => ParameterCount.Gates("transformer"));
        var e = Assert.Throws<ArgumentException>(() => new RecurrentShape("gru", 4, 8, Proj: 2).Validate());
        Assert.Equal("Proj", e.ParamName);
        Assert.Throws<ArgumentOutOfRangeException>(() => new RecurrentShape("lstm", 0, 8).Validate());
    }
}
