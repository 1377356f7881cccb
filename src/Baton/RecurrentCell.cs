namespace Baton;

/// <summary>
/// The recurrent cell of a <see cref="RecurrentModel"/>: the first four as PyTorch's modules of the same name (gates in
/// PyTorch's order), the minimal cells as their paper's reference implementation (lucidrains/minGRU-pytorch); every weight
/// and bias initialised U(−1/√H, 1/√H), H the hidden size. x is the step's input, h the previous hidden state, σ the
/// logistic sigmoid, ⊙ the elementwise product.
/// </summary>
public enum RecurrentCell
{
    /// <summary>
    /// <c>nn.LSTM</c>: i, f, g, o = σ, σ, tanh, σ of (W_ih x + b_ih + W_hh h + b_hh); c' = f ⊙ c + i ⊙ g; h' = o ⊙ tanh(c').
    /// </summary>
    Lstm,

    /// <summary>
    /// <c>nn.GRU</c>: r, z = σ(W_i x + b_i + W_h h + b_h); n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn)); h' = (1 − z) ⊙ n + z ⊙ h.
    /// </summary>
    Gru,

    /// <summary><c>nn.RNN</c> (Elman): h' = tanh(W_ih x + b_ih + W_hh h + b_hh).</summary>
    Rnn,

    /// <summary><c>nn.RNN(nonlinearity="relu")</c>: h' = max(0, W_ih x + b_ih + W_hh h + b_hh).</summary>
    RnnRelu,

    /// <summary>
    /// minGRU (Feng et al., 2024, "Were RNNs all we needed?"): z = σ(W_z x + b_z), h̃ = g(W_h x + b_h) with
    /// g(v) = v + ½ for v ≥ 0 else σ(v); h' = (1 − z) ⊙ h + z ⊙ h̃. The gates read only x, so training runs all steps in parallel.
    /// </summary>
    MinGru,

    /// <summary>
    /// minLSTM (same paper): f, i = σ(W_f x + b_f), σ(W_i x + b_i), h̃ = g(W_h x + b_h); f' = f / (f + i), i' = i / (f + i);
    /// h' = f' ⊙ h + i' ⊙ h̃.
    /// </summary>
    MinLstm,
}
