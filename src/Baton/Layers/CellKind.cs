namespace Baton.Layers;

/// <summary>The recurrent cell of a <see cref="RecurrentStack"/>.</summary>
internal enum CellKind
{
    /// <summary>Elman RNN: h' = act(W_ih x + b_ih + W_hh h + b_hh), act = tanh or relu.</summary>
    Rnn,

    /// <summary>LSTM, PyTorch gate order i, f, g, o; optional projection h = W_hr (o * tanh c).</summary>
    Lstm,

    /// <summary>GRU, PyTorch gate order r, z, n; n = tanh(W_in x + b_in + r * (W_hn h + b_hn)), h' = (1 - z) * n + z * h.</summary>
    Gru,

    /// <summary>minGRU (Feng et al. 2024), parallel in time.</summary>
    MinGru,

    /// <summary>minLSTM (Feng et al. 2024), parallel in time.</summary>
    MinLstm,
}
