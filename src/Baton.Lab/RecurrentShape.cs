namespace Baton.Lab;

/// <summary>The sizes that fix a recurrent stack's parameters (see <see cref="ParameterCount"/>).</summary>
/// <param name="Cell">rnn, rnn_relu, lstm, gru, mingru or minlstm.</param>
/// <param name="Input">Features per step at the first layer, I.</param>
/// <param name="Hidden">Hidden units per layer and direction, H.</param>
/// <param name="Layers">Stacked layers, L.</param>
/// <param name="Bidirectional">Two directions per layer (D = 2).</param>
/// <param name="Proj">LSTM projection size P (0 = none).</param>
internal sealed record RecurrentShape(string Cell, int Input, int Hidden, int Layers = 1, bool Bidirectional = false, int Proj = 0)
{
    /// <summary>1 or 2.</summary>
    public int Directions => Bidirectional ? 2 : 1;

    /// <summary>Width of h per layer and direction: P with a projection, else H.</summary>
    public int StateSize => Proj > 0 ? Proj : Hidden;

    /// <summary>Throws <see cref="ArgumentException"/> naming the first invalid size.</summary>
    public void Validate()
    {
        ParameterCount.Gates(Cell);
        ArgumentOutOfRangeException.ThrowIfLessThan(Input, 1, nameof(Input));
        ArgumentOutOfRangeException.ThrowIfLessThan(Hidden, 1, nameof(Hidden));
        ArgumentOutOfRangeException.ThrowIfLessThan(Layers, 1, nameof(Layers));
        ArgumentOutOfRangeException.ThrowIfNegative(Proj, nameof(Proj));
        if (Proj > 0 && Cell != "lstm")
            throw new ArgumentException("A projection (proj_size) exists only for LSTM.", nameof(Proj));
        if (Proj >= Hidden && Proj > 0)
            throw new ArgumentException("proj_size must be smaller than hidden_size (PyTorch's rule).", nameof(Proj));
    }
}
