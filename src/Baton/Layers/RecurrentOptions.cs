namespace Baton.Layers;

/// <summary>
/// Shape of a <see cref="RecurrentStack"/>, mirroring the arguments of PyTorch's nn.RNN / nn.LSTM / nn.GRU.
/// </summary>
/// <param name="Cell">The recurrent cell.</param>
/// <param name="InputSize">Width I of the input x.</param>
/// <param name="HiddenSize">Width H of the hidden (and LSTM cell) state.</param>
/// <param name="Layers">Number of stacked layers L.</param>
/// <param name="Bidirectional">Run a second, reversed direction in every layer (D = 2).</param>
/// <param name="ProjSize">LSTM only: width P of the projected state h = W_hr (o * tanh c); 0 = no projection.</param>
/// <param name="Dropout">Probability of zeroing an element between layers while training (inverted scaling 1/(1-p)).</param>
/// <param name="Nonlinearity">Elman RNN only: tanh or relu.</param>
internal sealed record RecurrentOptions(CellKind Cell, int InputSize, int HiddenSize, int Layers = 1,
    bool Bidirectional = false, int ProjSize = 0, float Dropout = 0f, Nonlinearity Nonlinearity = Nonlinearity.Tanh);
