using Baton.Layers;

namespace Baton.IO;

/// <summary>
/// Builds the ONNX graph of a recurrent sequence model:
/// <c>tokens</c> int64 [T,B] → Gather(embedding.weight) (or <c>features</c> float [T,B,F] directly)
/// → per layer one ONNX LSTM / GRU / RNN operator → Transpose + Reshape of Y [T,D,B,H] to [T,B,D*H]
/// → MatMul + Add head → <c>logits</c> / <c>prediction</c>; optional state inputs <c>h0</c> [L*D,B,H]
/// (and <c>c0</c> for LSTM) and outputs <c>hn</c> / <c>cn</c>, the per-layer Y_h / Y_c concatenated
/// in PyTorch's order (index l*D + d), so a caller streams by feeding the states back.
/// </summary>
/// <remarks>
/// Gate reordering: PyTorch LSTM rows are (i, f, g, o), ONNX's are (i, o, f, c); PyTorch GRU rows are
/// (r, z, n), ONNX's are (z, r, h), with <c>linear_before_reset = 1</c> for PyTorch's
/// n = tanh(W_in x + b_in + r * (W_hn h + b_hn)). ONNX B is concat(Wb, Rb) per direction.
/// The optional state inputs are overridable initializers of zeros with batch dimension 1,
/// broadcast to the batch with Expand, so a caller may leave them out.
/// </remarks>
internal static class OnnxGraphBuilder
{
    /// <summary>Symbolic dimension names of the exported graph.</summary>
    public const string TimeDim = "T", BatchDim = "B";

    public static OnnxModelProto Build(OnnxGraphSpec spec, Parameters parameters)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(parameters);
        int G = GateCount(spec.Cell);
        if (spec.ProjSize > 0)
        {
            throw new NotSupportedException(
                $"An LSTM with proj_size = {spec.ProjSize} cannot be exported: ONNX's LSTM operator has no projection (weight_hr).");
        }
        int L = spec.Layers, D = spec.Directions, H = spec.Hidden;
        var graph = new OnnxGraph("baton");

        // Input: token ids [T,B] -> embeddings [T,B,E], or features [T,B,F].
        string x;
        string sequenceInput;
        if (spec.Vocab > 0)
        {
            sequenceInput = graph.Input("tokens", OnnxDataType.Int64, TimeDim, BatchDim);
            string table = AddFloat(graph, parameters, "embedding.weight", [spec.Vocab, spec.InputSize]);
            x = graph.Node("Gather", [table, sequenceInput], "embedded", OnnxAttribute.Int("axis", 0));
        }
        else
        {
            sequenceInput = graph.Input("features", OnnxDataType.Float, TimeDim, BatchDim, spec.InputSize);
            x = sequenceInput;
            if (spec.FeatureMean.Length > 0)
            {
                CheckLength(spec.FeatureMean, spec.InputSize, "feature mean");
                CheckLength(spec.FeatureStd, spec.InputSize, "feature std");
                string mean = graph.Initializer("feature_mean", [spec.InputSize], spec.FeatureMean);
                string std = graph.Initializer("feature_std", [spec.InputSize], spec.FeatureStd);
                string centered = graph.Node("Sub", [x, mean], "features_centered");
                x = graph.Node("Div", [centered, std], "features_scaled");
            }
        }

        // Optional initial states: zeros [L*D,1,H] unless fed, broadcast to [L*D,B,H].
        string batchOnly = graph.Node("Shape", [sequenceInput], "batch_size",
            OnnxAttribute.Int("start", 1), OnnxAttribute.Int("end", 2));
        string broadcastShape = graph.Node("Concat",
            [graph.Int64Vector("one", 1), batchOnly, "one"], "state_broadcast_shape", OnnxAttribute.Int("axis", 0));
        string h0 = StateInput(graph, "h0", L * D, H, broadcastShape);
        string? c0 = spec.Cell == "lstm" ? StateInput(graph, "c0", L * D, H, broadcastShape) : null;

        var hLast = new string[L];
        var cLast = new string[L];
        int inputSize = spec.InputSize;
        for (int l = 0; l < L; l++)
        {
            string w = AddReordered(graph, parameters, spec.Cell, l, D, G, H, "weight_ih", inputSize, $"W_l{l}");
            string r = AddReordered(graph, parameters, spec.Cell, l, D, G, H, "weight_hh", H, $"R_l{l}");
            string b = AddBias(graph, parameters, spec.Cell, l, D, G, H, $"B_l{l}");
            string h0Layer = L == 1 ? h0 : SliceLayer(graph, h0, l, D);
            string c0Layer = c0 is null ? "" : L == 1 ? c0 : SliceLayer(graph, c0, l, D);

            var attributes = new List<OnnxAttribute>
            {
                OnnxAttribute.Int("hidden_size", H),
                OnnxAttribute.String("direction", D == 2 ? "bidirectional" : "forward"),
            };
            string op;
            string[] inputs = [x, w, r, b, "", h0Layer];
            string[] outputs = [$"Y_l{l}", $"Y_h_l{l}"];
            switch (spec.Cell)
            {
                case "lstm":
                    op = "LSTM";
                    inputs = [x, w, r, b, "", h0Layer, c0Layer];
                    outputs = [$"Y_l{l}", $"Y_h_l{l}", $"Y_c_l{l}"];
                    cLast[l] = $"Y_c_l{l}";
                    break;
                case "gru":
                    op = "GRU";
                    attributes.Add(OnnxAttribute.Int("linear_before_reset", 1));
                    break;
                default:
                    op = "RNN";
                    string activation = spec.Cell == "rnn_relu" ? "Relu" : "Tanh";
                    attributes.Add(OnnxAttribute.Strings("activations", Enumerable.Repeat(activation, D).ToArray()));
                    break;
            }
            graph.Node(op, inputs, outputs, attributes.ToArray());
            hLast[l] = outputs[1];

            // Y [T,D,B,H] -> [T,B,D,H] -> [T,B,D*H]
            string transposed = graph.Node("Transpose", [outputs[0]], $"Y_tbdh_l{l}", OnnxAttribute.Ints("perm", 0, 2, 1, 3));
            string mergeShape = l == 0 ? graph.Int64Vector("merge_directions_shape", 0, 0, -1) : "merge_directions_shape";
            x = graph.Node("Reshape", [transposed, mergeShape], $"y_l{l}");
            inputSize = D * H;
        }

        // Head: y [T,B,D*H] (or its last step [B,D*H]) @ head.weight^T + head.bias.
        int O = spec.OutputSize;
        string headInput = x;
        if (spec.Head == OnnxHeadMode.FinalState)
        {
            // Y_h of the last layer [D,B,H] -> [B,D,H] -> [B,D*H]
            string final = graph.Node("Transpose", [hLast[L - 1]], "final_state_bdh", OnnxAttribute.Ints("perm", 1, 0, 2));
            headInput = graph.Node("Reshape", [final, graph.Int64Vector("final_state_shape", 0, -1)], "final_state");
        }
        float[] headWeight = Read(parameters, "head.weight", [O, D * H]);
        string weightT = graph.Initializer("head.weight_t", [D * H, O], Transpose(headWeight, O, D * H));
        string bias = AddFloat(graph, parameters, "head.bias", [O]);
        string product = graph.Node("MatMul", [headInput, weightT], "head_product");
        if (spec.OutputScale.Length > 0)
        {
            CheckLength(spec.OutputScale, O, "output scale");
            CheckLength(spec.OutputShift, O, "output shift");
            string raw = graph.Node("Add", [product, bias], spec.OutputName + "_scaled");
            string scale = graph.Initializer("output_scale", [O], spec.OutputScale);
            string shift = graph.Initializer("output_shift", [O], spec.OutputShift);
            string scaled = graph.Node("Mul", [raw, scale], spec.OutputName + "_unshifted");
            graph.Node("Add", [scaled, shift], spec.OutputName);
        }
        else
        {
            graph.Node("Add", [product, bias], spec.OutputName);
        }

        string hn = L == 1 ? graph.Node("Identity", [hLast[0]], "hn") : graph.Node("Concat", hLast, "hn", OnnxAttribute.Int("axis", 0));
        if (spec.Head == OnnxHeadMode.FinalState)
            graph.Output(spec.OutputName, OnnxDataType.Float, BatchDim, O);
        else
            graph.Output(spec.OutputName, OnnxDataType.Float, TimeDim, BatchDim, O);
        graph.Output(hn, OnnxDataType.Float, L * D, BatchDim, H);
        if (c0 is not null)
        {
            string cn = L == 1 ? graph.Node("Identity", [cLast[0]], "cn") : graph.Node("Concat", cLast, "cn", OnnxAttribute.Int("axis", 0));
            graph.Output(cn, OnnxDataType.Float, L * D, BatchDim, H);
        }
        var model = new OnnxModelProto(graph)
        {
            DocString = "Baton recurrent model: " + spec.Cell + ", " + L + " layer(s), " + (D == 2 ? "bidirectional" : "unidirectional"),
        };
        foreach (var entry in spec.Metadata)
            model.Metadata.Add(entry);
        return model;
    }

    private static void CheckLength(float[] values, int expected, string what)
    {
        if (values.Length != expected)
            throw new InvalidOperationException($"The {what} has {values.Length} values, {expected} expected.");
    }

    /// <summary>Gates per cell: 4 for LSTM, 3 for GRU, 1 for Elman.</summary>
    private static int GateCount(string cell) => cell switch
    {
        "lstm" => 4,
        "gru" => 3,
        "rnn" or "rnn_relu" => 1,
        "mingru" or "minlstm" => throw new NotSupportedException(
            $"Cell '{cell}' is not supported for ONNX export (export supports lstm, gru, rnn, rnn_relu)."),
        _ => throw new NotSupportedException($"Unknown cell '{cell}' (expected lstm, gru, rnn or rnn_relu)."),
    };

    /// <summary>
    /// Row-block order that turns PyTorch's gate layout into ONNX's: ONNX gate k is PyTorch gate
    /// <c>order[k]</c>.
    /// </summary>
    private static int[] GateOrder(string cell) => cell switch
    {
        "lstm" => [0, 3, 1, 2],   // PyTorch i,f,g,o -> ONNX i,o,f,c
        "gru" => [1, 0, 2],       // PyTorch r,z,n -> ONNX z,r,h
        _ => [0],
    };

    private static string StateInput(OnnxGraph graph, string name, int rows, int H, string broadcastShape)
    {
        graph.Initializer(name, [rows, 1, H], new float[rows * H]);
        graph.Input(name, OnnxDataType.Float, rows, BatchDim, H);
        return graph.Node("Expand", [name, broadcastShape], $"{name}_expanded");
    }

    private static string SliceLayer(OnnxGraph graph, string state, int layer, int D) =>
        graph.Node("Slice",
            [state, graph.Int64Vector($"{state}_l{layer}_start", layer * D), graph.Int64Vector($"{state}_l{layer}_end", (layer + 1) * D),
             graph.Int64Vector($"{state}_l{layer}_axes", 0)],
            $"{state}_l{layer}");

    /// <summary>W or R of one layer: [D, G*H, cols], gate blocks reordered for ONNX.</summary>
    private static string AddReordered(OnnxGraph graph, Parameters parameters, string cell, int layer, int D, int G, int H,
        string kind, int cols, string onnxName)
    {
        int[] order = GateOrder(cell);
        var data = new float[D * G * H * cols];
        for (int d = 0; d < D; d++)
        {
            float[] source = Read(parameters, TensorName(kind, layer, d), [G * H, cols]);
            for (int gate = 0; gate < G; gate++)
            {
                source.AsSpan(order[gate] * H * cols, H * cols)
                    .CopyTo(data.AsSpan((d * G + gate) * H * cols, H * cols));
            }
        }
        return graph.Initializer(onnxName, [D, G * H, cols], data);
    }

    /// <summary>B of one layer: [D, 2*G*H] = concat(bias_ih, bias_hh) per direction, gates reordered.</summary>
    private static string AddBias(OnnxGraph graph, Parameters parameters, string cell, int layer, int D, int G, int H, string onnxName)
    {
        int[] order = GateOrder(cell);
        var data = new float[D * 2 * G * H];
        for (int d = 0; d < D; d++)
        {
            for (int part = 0; part < 2; part++)
            {
                float[] source = Read(parameters, TensorName(part == 0 ? "bias_ih" : "bias_hh", layer, d), [G * H]);
                for (int gate = 0; gate < G; gate++)
                {
                    source.AsSpan(order[gate] * H, H)
                        .CopyTo(data.AsSpan(((d * 2 + part) * G + gate) * H, H));
                }
            }
        }
        return graph.Initializer(onnxName, [D, 2 * G * H], data);
    }

    /// <summary>PyTorch state-dict name, e.g. <c>rnn.weight_ih_l1_reverse</c>.</summary>
    internal static string TensorName(string kind, int layer, int direction) =>
        $"rnn.{kind}_l{layer}{(direction == 1 ? "_reverse" : "")}";

    private static string AddFloat(OnnxGraph graph, Parameters parameters, string name, int[] shape) =>
        graph.Initializer(name, Array.ConvertAll(shape, d => (long)d), Read(parameters, name, shape));

    private static float[] Read(Parameters parameters, string name, int[] shape)
    {
        if (!parameters.TryGet(name, out var tensor))
            throw new InvalidOperationException($"The model has no tensor '{name}'.");
        if (!tensor.Shape.AsSpan().SequenceEqual(shape))
        {
            throw new InvalidOperationException(
                $"Tensor '{name}' has shape [{string.Join(",", tensor.Shape)}], expected [{string.Join(",", shape)}].");
        }
        return parameters.Value(tensor).ToArray();
    }

    private static float[] Transpose(float[] a, int rows, int cols)
    {
        var t = new float[a.Length];
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < cols; c++)
                t[c * rows + r] = a[r * cols + c];
        return t;
    }
}
