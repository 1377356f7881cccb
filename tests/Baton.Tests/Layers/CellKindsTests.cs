using Baton.Layers;

namespace Baton.Tests.Layers;

public class CellKindsTests
{
    [Fact]
    public void Every_cell_name_reads_back_as_itself_and_unknown_names_are_refused()
    {
        foreach (string name in CellKinds.Names)
        {
            Assert.True(CellKinds.TryParse(name, out var kind, out var nonlinearity), name);
            Assert.Equal(name, CellKinds.Name(kind, nonlinearity));
        }
        Assert.True(CellKinds.TryParse("rnn_tanh", out var tanh, out var activation));
        Assert.Equal((CellKind.Rnn, Nonlinearity.Tanh), (tanh, activation));
        Assert.False(CellKinds.TryParse("transformer", out _, out _));
        Assert.False(CellKinds.TryParse(null, out _, out _));
        Assert.Equal(Enum.GetValues<CellKind>().Length + 1, CellKinds.Names.Count);   // + rnn_relu
    }

    [Fact]
    public void The_gate_count_of_each_cell_is_the_row_count_of_its_input_weights_over_the_hidden_size()
    {
        const int I = 5, H = 7;
        foreach (var kind in Enum.GetValues<CellKind>())
        {
            var parameters = new Parameters();
            _ = new RecurrentStack(new RecurrentOptions(kind, I, H), parameters);
            // The input weights are the only [G·H, I] tensor of a one-layer stack: weight_ih_l0, or the min cells' linear map.
            var inputWeights = Assert.Single(parameters.Tensors, t => t.Shape.Length == 2 && t.Shape[1] == I);
            Assert.Equal(kind.Gates() * H, inputWeights.Shape[0]);
            Assert.Equal(kind.ReadsPreviousState(), parameters.Tensors.Any(t => t.Name.Contains("weight_hh", StringComparison.Ordinal)));
        }
    }
}
