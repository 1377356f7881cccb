namespace Baton.Layers;

/// <summary>The activation of an Elman RNN (<see cref="CellKind.Rnn"/>).</summary>
internal enum Nonlinearity
{
    /// <summary>h' = tanh(...).</summary>
    Tanh,

    /// <summary>h' = max(0, ...).</summary>
    Relu,
}
