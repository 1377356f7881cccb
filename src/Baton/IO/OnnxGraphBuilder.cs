using Baton.Layers;

namespace Baton.IO;

/// <summary>
/// Builds the ONNX graph of a recurrent sequence model:
/// <c>tokens</c> int64 [T,B] → Gather(embedding.weight) (or <c>features</c> float [T,B,F] directly)
/// → per layer one ONNX LSTM / GRU / RNN operator (minGRU / minLSTM: gates from plain operators and a Scan,
/// see <see cref="AddMinLayer"/>) → Transpose + Reshape of Y [T,D,B,H] to [T,B,D*H]
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
        bool minCell = spec.Cell is "mingru" or "minlstm";
        for (int l = 0; l < L; l++)
        {
            if (minCell)
            {
                string h0Slice = L == 1 ? h0 : SliceLayer(graph, h0, l, D);
                (x, hLast[l]) = AddMinLayer(graph, parameters, spec, l, x, inputSize, h0Slice);
                inputSize = D * H;
                continue;
            }
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

    /// <summary>Gates per cell (<see cref="CellKinds.Gates"/>).</summary>
    private static int GateCount(string cell) => CellKinds.TryParse(cell, out var kind, out _)
        ? kind.Gates()
        : throw new NotSupportedException($"Unknown cell '{cell}' (expected {CellKinds.NameList}).");

    /// <summary>
    /// One minGRU / minLSTM layer (both directions) from plain operators and a <c>Scan</c> for the
    /// elementwise linear recurrence h_t = a_t * h_{t-1} + b_t:
    /// pre = x @ W^T + bias = [k | u] (minGRU) or [k | p | q] (minLSTM), g(k) = k + 0.5 (k ≥ 0) else σ(k);
    /// minGRU: z = σ(u), a = 1 - z, b = z * g(k); minLSTM: f = σ(p), i = σ(q), f' = f / (f + i), a = f', b = (1 - f') * g(k).
    /// The reverse direction scans its inputs backwards and writes its outputs backwards, so y[t] belongs to x[t].
    /// Returns the layer output [T,B,D*H] and its final states [D,B,H].
    /// </summary>
    private static (string Y, string Final) AddMinLayer(OnnxGraph graph, Parameters parameters, OnnxGraphSpec spec, int layer,
        string x, int inputSize, string h0Layer)
    {
        int D = spec.Directions, H = spec.Hidden, chunks = GateCount(spec.Cell);
        string linear = spec.Cell == "mingru" ? "to_hidden_and_gate" : "to_hidden_and_f_i_gate";
        string zero = graph.Initializer($"min_zero_l{layer}", [], [0f]);
        string half = graph.Initializer($"min_half_l{layer}", [], [0.5f]);
        string one = graph.Initializer($"min_one_l{layer}", [], [1f]);
        string lastAxis = graph.Int64Vector($"min_axis2_l{layer}", 2);
        string firstAxis = graph.Int64Vector($"min_axis0_l{layer}", 0);
        var outputs = new string[D];
        var finals = new string[D];
        for (int d = 0; d < D; d++)
        {
            string tag = $"l{layer}{(d == 1 ? "_reverse" : "")}";
            string module = $"rnn.layers{(d == 1 ? "_reverse" : "")}.{layer}.{linear}";
            float[] weight = Read(parameters, module + ".weight", [chunks * H, inputSize]);
            string weightT = graph.Initializer($"{module}.weight_t", [inputSize, chunks * H], Transpose(weight, chunks * H, inputSize));
            string bias = AddFloat(graph, parameters, module + ".bias", [chunks * H]);
            string pre = graph.Node("Add", [graph.Node("MatMul", [x, weightT], $"min_xw_{tag}"), bias], $"min_pre_{tag}");
            string Chunk(int c) => graph.Node("Slice",
                [pre, graph.Int64Vector($"min_start{c}_{tag}", c * H), graph.Int64Vector($"min_end{c}_{tag}", (c + 1) * H), lastAxis],
                $"min_chunk{c}_{tag}");
            string k = Chunk(0);
            string candidate = graph.Node("Where",
                [graph.Node("GreaterOrEqual", [k, zero], $"min_k_nonneg_{tag}"),
                 graph.Node("Add", [k, half], $"min_k_half_{tag}"),
                 graph.Node("Sigmoid", [k], $"min_k_sigmoid_{tag}")],
                $"min_candidate_{tag}");
            string a, b;
            if (spec.Cell == "mingru")
            {
                string z = graph.Node("Sigmoid", [Chunk(1)], $"min_z_{tag}");
                a = graph.Node("Sub", [one, z], $"min_a_{tag}");
                b = graph.Node("Mul", [z, candidate], $"min_b_{tag}");
            }
            else
            {
                string f = graph.Node("Sigmoid", [Chunk(1)], $"min_f_{tag}");
                string i = graph.Node("Sigmoid", [Chunk(2)], $"min_i_{tag}");
                a = graph.Node("Div", [f, graph.Node("Add", [f, i], $"min_fi_{tag}")], $"min_a_{tag}");
                b = graph.Node("Mul", [graph.Node("Sub", [one, a], $"min_1ma_{tag}"), candidate], $"min_b_{tag}");
            }
            string hStart = D == 1 ? h0Layer : graph.Node("Slice",
                [h0Layer, graph.Int64Vector($"min_h0_start_{tag}", d), graph.Int64Vector($"min_h0_end_{tag}", d + 1), firstAxis],
                $"min_h0_dir_{tag}");
            string h0Rows = graph.Node("Squeeze", [hStart, firstAxis], $"min_h0_rows_{tag}");

            var body = new OnnxGraph($"min_scan_body_{tag}");
            string hPrev = body.Input($"scan_h_prev_{tag}", OnnxDataType.Float, BatchDim, H);
            string aStep = body.Input($"scan_a_{tag}", OnnxDataType.Float, BatchDim, H);
            string bStep = body.Input($"scan_b_{tag}", OnnxDataType.Float, BatchDim, H);
            string hNext = body.Node("Add", [body.Node("Mul", [aStep, hPrev], $"scan_ah_{tag}"), bStep], $"scan_h_{tag}");
            string yStep = body.Node("Identity", [hNext], $"scan_y_{tag}");
            body.Output(hNext, OnnxDataType.Float, BatchDim, H);
            body.Output(yStep, OnnxDataType.Float, BatchDim, H);

            var attributes = new List<OnnxAttribute> { OnnxAttribute.Graph("body", body), OnnxAttribute.Int("num_scan_inputs", 2) };
            if (d == 1)
            {
                attributes.Add(OnnxAttribute.Ints("scan_input_directions", 1, 1));
                attributes.Add(OnnxAttribute.Ints("scan_output_directions", 1));
            }
            string[] scanned = graph.Node("Scan", [h0Rows, a, b], [$"min_hn_{tag}", $"min_y_{tag}"], attributes.ToArray());
            outputs[d] = scanned[1];
            finals[d] = graph.Node("Unsqueeze", [scanned[0], firstAxis], $"min_hn_dir_{tag}");
        }
        string y = D == 1 ? outputs[0] : graph.Node("Concat", outputs, $"y_l{layer}", OnnxAttribute.Int("axis", 2));
        string final = D == 1 ? finals[0] : graph.Node("Concat", finals, $"Y_h_l{layer}", OnnxAttribute.Int("axis", 0));
        return (y, final);
    }

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
