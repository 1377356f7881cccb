namespace Baton.IO;

/// <summary>How the head reads the recurrent output.</summary>
internal enum OnnxHeadMode
{
    /// <summary>The head is applied at every step: <c>[T,B,D*S] -> [T,B,O]</c>.</summary>
    EveryStep,

    /// <summary>The head reads the output of the last step only: <c>[B,D*S] -> [B,O]</c>.</summary>
    LastStep,
}

/// <summary>
/// Everything the ONNX graph builder needs to know about a model, independent of how the model is
/// held in memory. Tensors are read by their PyTorch names from a <see cref="Layers.Parameters"/> block.
/// </summary>
/// <param name="Cell">lstm, gru, rnn or rnn_relu.</param>
/// <param name="InputSize">Width of the recurrent input: the embedding size, or the feature count.</param>
/// <param name="Hidden">Hidden size H.</param>
/// <param name="Layers">Number of stacked layers L.</param>
/// <param name="Bidirectional">Two directions per layer (D = 2).</param>
/// <param name="ProjSize">LSTM projection size (must be 0: ONNX's LSTM has no projection).</param>
/// <param name="Vocab">Vocabulary size V for token input, 0 for feature input.</param>
/// <param name="OutputSize">Width O of the head's output.</param>
/// <param name="Head">Which steps the head reads.</param>
/// <param name="OutputName">Name of the head's output (<c>logits</c> or <c>prediction</c>).</param>
internal sealed record OnnxGraphSpec(
    string Cell,
    int InputSize,
    int Hidden,
    int Layers,
    bool Bidirectional,
    int ProjSize,
    int Vocab,
    int OutputSize,
    OnnxHeadMode Head,
    string OutputName)
{
    public int Directions => Bidirectional ? 2 : 1;
}
