using Baton.Models;

namespace Baton.IO;

/// <summary>
/// Writes a <see cref="SequenceModel"/> as an ONNX model (IR version 8, default-domain opset 17) built
/// from the standard <c>LSTM</c>, <c>GRU</c> and <c>RNN</c> operators (minGRU / minLSTM: plain operators and
/// <c>Scan</c>), so that ONNX Runtime and other ONNX tools run it with no Baton code.
/// </summary>
/// <remarks>
/// <para>Graph inputs (T and B are dynamic):</para>
/// <list type="bullet">
/// <item><c>tokens</c> int64 [T, B] for models with an embedding (lm, token classify), or <c>features</c>
/// float [T, B, F] (forecast: raw values; the model's feature scaling x' = (x - mean) / std is part of the graph).</item>
/// <item><c>h0</c> float [L·D, B, S] and, for LSTM, <c>c0</c> float [L·D, B, H]: optional initial states in
/// PyTorch's order (index l·D + d); left out, they are zero.</item>
/// </list>
/// <para>Graph outputs:</para>
/// <list type="bullet">
/// <item>lm: <c>logits</c> [T, B, V] = head(y[t, b, :]) at every step.</item>
/// <item>forecast: <c>prediction</c> [B, horizon·targets] = head(concat_d hn[L-1, d]) · target_std + target_mean
/// (step-major, in the targets' units).</item>
/// <item>classify: <c>logits</c> [B, classes] = head(concat_d hn[L-1, d]).</item>
/// <item><c>hn</c> [L·D, B, S] and, for LSTM, <c>cn</c>: the final states, so that feeding them back as
/// <c>h0</c>/<c>c0</c> continues a stream exactly where the previous call stopped.</item>
/// </list>
/// <para>Gate reordering: PyTorch LSTM (i, f, g, o) becomes ONNX (i, o, f, c); PyTorch GRU (r, z, n) becomes
/// ONNX (z, r, h) with <c>linear_before_reset = 1</c>; ONNX B = concat(bias_ih, bias_hh).</para>
/// <para>minGRU / minLSTM layers are written with plain operators (MatMul, Slice, Sigmoid, Where, ...) and one
/// <c>Scan</c> per layer-direction for h_t = a_t ⊙ h_{t-1} + b_t, with the same formulas as <see cref="Layers.MinGru"/>
/// and <see cref="Layers.MinLstm"/>.</para>
/// <para>Not expressible, and refused with <see cref="NotSupportedException"/>: an LSTM with a projection
/// (ONNX's LSTM has no weight_hr).</para>
/// The model's config JSON is stored in the ONNX <c>metadata_props</c> under <c>baton.config</c>.
/// </remarks>
internal static class OnnxExport
{
    /// <summary>The ONNX IR version written.</summary>
    public const long IrVersion = OnnxModelProto.IrVersion;

    /// <summary>The default-domain operator set imported.</summary>
    public const long Opset = OnnxModelProto.Opset;

    /// <summary>Serialises <paramref name="model"/> as an ONNX <c>ModelProto</c>.</summary>
    /// <exception cref="NotSupportedException">The model uses a cell or option that ONNX's operators cannot express.</exception>
    public static byte[] ToBytes(SequenceModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        return OnnxGraphBuilder.Build(Spec(model), model.Parameters).ToBytes();
    }

    /// <summary>Writes <paramref name="model"/> to <paramref name="path"/> as ONNX, atomically.</summary>
    /// <exception cref="NotSupportedException">The model uses a cell or option that ONNX's operators cannot express.</exception>
    public static void Save(SequenceModel model, string path)
    {
        byte[] bytes = ToBytes(model);
        AtomicFile.Write(path, stream => stream.Write(bytes));
    }

    /// <summary>The graph description of <paramref name="model"/>.</summary>
    internal static OnnxGraphSpec Spec(SequenceModel model)
    {
        var config = model.Config;
        string cell = config.Cell == "rnn_tanh" ? "rnn" : config.Cell;
        if (config.ProjSize > 0)
            throw new NotSupportedException(
                $"An LSTM with proj_size = {config.ProjSize} cannot be exported: ONNX's LSTM operator has no projection (weight_hr).");
        bool perStep = model.OutputsPerStep;
        var spec = new OnnxGraphSpec(cell, model.InputWidth, config.Hidden, config.Layers, config.Bidirectional, config.ProjSize,
            config.UsesEmbedding ? config.VocabularySize : 0, config.OutputSize,
            perStep ? OnnxHeadMode.EveryStep : OnnxHeadMode.FinalState,
            config.IsRegression ? "prediction" : "logits")
        {
            Metadata = new Dictionary<string, string> { [ModelFile.ConfigKey] = config.ToJson() },
        };
        if (config.IsRegression)
        {
            spec = spec with { FeatureMean = config.FeatureMean, FeatureStd = config.FeatureStd };
            if (config.TargetMean.Length > 0)
            {
                // The head predicts horizon × targets values, step-major: output o belongs to target o % targets.
                int targets = config.TargetMean.Length;
                if (config.OutputSize % targets != 0)
                    throw new InvalidOperationException($"output_size {config.OutputSize} is not a multiple of the {targets} target(s).");
                var scale = new float[config.OutputSize];
                var shift = new float[config.OutputSize];
                for (int o = 0; o < scale.Length; o++)
                {
                    scale[o] = config.TargetStd[o % targets];
                    shift[o] = config.TargetMean[o % targets];
                }
                spec = spec with { OutputScale = scale, OutputShift = shift };
            }
        }
        return spec;
    }
}
