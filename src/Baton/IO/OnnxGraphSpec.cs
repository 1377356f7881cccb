namespace Baton.IO;

/// <summary>How the head reads the recurrent output.</summary>
internal enum OnnxHeadMode
{
    /// <summary>The head is applied at every step: <c>[T,B,D*S] -> [T,B,O]</c>.</summary>
    EveryStep,

    /// <summary>
    /// The head reads the last layer's final state of each direction, concatenated (forward then
    /// reverse): <c>[B,D*S] -> [B,O]</c>, as <c>SequenceModel</c> does for forecast and classify.
    /// </summary>
    FinalState,
}

/// <summary>
/// Everything the ONNX graph builder needs to know about a model, independent of how the model is
/// held in memory. Tensors are read by their PyTorch names from a <see cref="Layers.Parameters"/> block.
/// </summary>
/// <param name="Cell">lstm, gru, rnn, rnn_relu, mingru or minlstm.</param>
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

    /// <summary>Per-feature mean for feature input: x' = (x - mean) / std before the recurrence (empty = none).</summary>
    public float[] FeatureMean { get; init; } = [];

    /// <summary>Per-feature standard deviation (see <see cref="FeatureMean"/>).</summary>
    public float[] FeatureStd { get; init; } = [];

    /// <summary>Per-output scale: out = head(...) * scale + shift (empty = none).</summary>
    public float[] OutputScale { get; init; } = [];

    /// <summary>Per-output shift (see <see cref="OutputScale"/>).</summary>
    public float[] OutputShift { get; init; } = [];

    /// <summary>String metadata written into the ONNX model (<c>metadata_props</c>).</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; init; } = new Dictionary<string, string>();
}
