namespace Baton.IO;

// Builders for the parts of onnx.proto (IR version 8) that Baton writes. Field numbers are those
// of onnx/onnx.proto; each Write method emits one message body with ProtobufWriter.

/// <summary>ONNX <c>TensorProto.DataType</c> values used here.</summary>
internal enum OnnxDataType
{
    Float = 1,
    Int32 = 6,
    Int64 = 7,
}

/// <summary>ONNX <c>AttributeProto</c>: one named attribute of a node.</summary>
internal sealed class OnnxAttribute
{
    // AttributeProto.AttributeType
    private const int TypeFloat = 1, TypeInt = 2, TypeString = 3, TypeGraph = 5, TypeFloats = 6, TypeInts = 7, TypeStrings = 8;

    private readonly int type;
    private float f;
    private long i;
    private string s = "";
    private float[] floats = [];
    private long[] ints = [];
    private string[] strings = [];
    private OnnxGraph? graph;

    private OnnxAttribute(string name, int type)
    {
        Name = name;
        this.type = type;
    }

    /// <summary>Attribute name.</summary>
    public string Name { get; }

    public static OnnxAttribute Float(string name, float value) => new(name, TypeFloat) { f = value };

    public static OnnxAttribute Int(string name, long value) => new(name, TypeInt) { i = value };

    public static OnnxAttribute String(string name, string value) => new(name, TypeString) { s = value };

    public static OnnxAttribute Floats(string name, params float[] values) => new(name, TypeFloats) { floats = values };

    public static OnnxAttribute Ints(string name, params long[] values) => new(name, TypeInts) { ints = values };

    public static OnnxAttribute Strings(string name, params string[] values) => new(name, TypeStrings) { strings = values };

    public static OnnxAttribute Graph(string name, OnnxGraph value) => new(name, TypeGraph) { graph = value };

    public void Write(ProtobufWriter w)
    {
        w.WriteString(1, Name);
        w.WriteInt64(20, type);
        switch (type)
        {
            case TypeFloat: w.WriteFloat(2, f); break;
            case TypeInt: w.WriteInt64(3, i); break;
            case TypeString: w.WriteBytes(4, System.Text.Encoding.UTF8.GetBytes(s)); break;
            case TypeGraph: w.WriteMessage(6, graph!.Write); break;
            case TypeFloats: w.WritePackedFloats(7, floats); break;
            case TypeInts: w.WritePackedInt64(8, ints); break;
            case TypeStrings:
                foreach (string v in strings)
                    w.WriteBytes(9, System.Text.Encoding.UTF8.GetBytes(v));
                break;
            default: throw new InvalidOperationException($"Unknown attribute type {type}.");
        }
    }
}

/// <summary>ONNX <c>NodeProto</c>: one operator application.</summary>
internal sealed record OnnxNode(string OpType, string Name, string[] Inputs, string[] Outputs, OnnxAttribute[] Attributes)
{
    public void Write(ProtobufWriter w)
    {
        foreach (string input in Inputs)
            w.WriteString(1, input);
        foreach (string output in Outputs)
            w.WriteString(2, output);
        w.WriteString(3, Name);
        w.WriteString(4, OpType);
        foreach (var attribute in Attributes)
            w.WriteMessage(5, attribute.Write);
    }
}

/// <summary>ONNX <c>TensorProto</c> with its data in <c>raw_data</c> (little-endian).</summary>
internal sealed class OnnxTensor
{
    private readonly float[]? floats;
    private readonly long[]? longs;

    public OnnxTensor(string name, long[] dims, float[] values)
    {
        CheckCount(name, dims, values.Length);
        (Name, Dims, DataType, floats) = (name, dims, OnnxDataType.Float, values);
    }

    public OnnxTensor(string name, long[] dims, long[] values)
    {
        CheckCount(name, dims, values.Length);
        (Name, Dims, DataType, longs) = (name, dims, OnnxDataType.Int64, values);
    }

    public string Name { get; }

    public long[] Dims { get; }

    public OnnxDataType DataType { get; }

    private static void CheckCount(string name, long[] dims, int count)
    {
        long expected = 1;
        foreach (long d in dims)
            expected *= d;
        if (expected != count)
            throw new ArgumentException($"Tensor '{name}': shape [{string.Join(",", dims)}] holds {expected} values, got {count}.");
    }

    public void Write(ProtobufWriter w)
    {
        w.WritePackedInt64(1, Dims);
        w.WriteInt64(2, (int)DataType);
        w.WriteString(8, Name);
        if (floats is not null)
            w.WriteFloatsAsBytes(9, floats);
        else
            w.WriteInt64sAsBytes(9, longs!);
    }
}

/// <summary>One dimension of a value's shape: a fixed size or a symbolic name such as <c>T</c>.</summary>
internal readonly record struct OnnxDim(long Value, string? Symbol)
{
    public static implicit operator OnnxDim(long value) => new(value, null);

    public static implicit operator OnnxDim(string symbol) => new(0, symbol);
}

/// <summary>ONNX <c>ValueInfoProto</c> for a tensor graph input or output.</summary>
internal sealed record OnnxValueInfo(string Name, OnnxDataType ElementType, OnnxDim[] Shape)
{
    public void Write(ProtobufWriter w)
    {
        w.WriteString(1, Name);
        w.WriteMessage(2, type => type.WriteMessage(1, tensor =>    // TypeProto.tensor_type
        {
            tensor.WriteInt64(1, (int)ElementType);                   // Tensor.elem_type
            tensor.WriteMessage(2, shape =>                           // Tensor.shape
            {
                foreach (var dim in Shape)
                {
                    shape.WriteMessage(1, d =>                        // TensorShapeProto.dim
                    {
                        if (dim.Symbol is null)
                            d.WriteInt64(1, dim.Value);               // dim_value
                        else
                            d.WriteString(2, dim.Symbol);             // dim_param
                    });
                }
            });
        }));
    }
}

/// <summary>ONNX <c>GraphProto</c> under construction: nodes in topological order, initializers, inputs, outputs.</summary>
internal sealed class OnnxGraph(string name)
{
    private readonly HashSet<string> names = new(StringComparer.Ordinal);
    private int nodeCount;

    public string Name { get; } = name;

    public List<OnnxNode> Nodes { get; } = [];

    public List<OnnxTensor> Initializers { get; } = [];

    public List<OnnxValueInfo> Inputs { get; } = [];

    public List<OnnxValueInfo> Outputs { get; } = [];

    /// <summary>Adds a float initializer and returns its name.</summary>
    public string Initializer(string name, long[] dims, float[] values)
    {
        Claim(name);
        Initializers.Add(new OnnxTensor(name, dims, values));
        return name;
    }

    /// <summary>Adds an int64 initializer and returns its name.</summary>
    public string Initializer(string name, long[] dims, long[] values)
    {
        Claim(name);
        Initializers.Add(new OnnxTensor(name, dims, values));
        return name;
    }

    /// <summary>Adds a 1-D int64 constant (shapes, axes, indices) and returns its name.</summary>
    public string Int64Vector(string name, params long[] values) => Initializer(name, [values.Length], values);

    /// <summary>Declares a graph input.</summary>
    public string Input(string name, OnnxDataType type, params OnnxDim[] shape)
    {
        if (!names.Contains(name))
            Claim(name);
        Inputs.Add(new OnnxValueInfo(name, type, shape));
        return name;
    }

    /// <summary>Declares an already produced value as a graph output.</summary>
    public void Output(string name, OnnxDataType type, params OnnxDim[] shape)
    {
        if (!names.Contains(name))
            throw new InvalidOperationException($"Graph output '{name}' is not produced by any node.");
        Outputs.Add(new OnnxValueInfo(name, type, shape));
    }

    /// <summary>Appends a node with one output named <paramref name="output"/>; returns that name.</summary>
    public string Node(string opType, string[] inputs, string output, params OnnxAttribute[] attributes) =>
        Node(opType, inputs, [output], attributes)[0];

    /// <summary>Appends a node; an empty output name stands for an omitted optional output.</summary>
    public string[] Node(string opType, string[] inputs, string[] outputs, params OnnxAttribute[] attributes)
    {
        foreach (string input in inputs)
        {
            if (input.Length > 0 && !names.Contains(input))
                throw new InvalidOperationException($"Node {opType} reads '{input}', which nothing produces.");
        }
        foreach (string output in outputs)
        {
            if (output.Length > 0)
                Claim(output);
        }
        Nodes.Add(new OnnxNode(opType, $"{Name}/{opType}_{nodeCount++}", inputs, outputs, attributes));
        return outputs;
    }

    private void Claim(string name)
    {
        if (!names.Add(name))
            throw new InvalidOperationException($"ONNX value '{name}' is defined twice.");
    }

    public void Write(ProtobufWriter w)
    {
        foreach (var node in Nodes)
            w.WriteMessage(1, node.Write);
        w.WriteString(2, Name);
        foreach (var tensor in Initializers)
            w.WriteMessage(5, tensor.Write);
        foreach (var input in Inputs)
            w.WriteMessage(11, input.Write);
        foreach (var output in Outputs)
            w.WriteMessage(12, output.Write);
    }
}

/// <summary>ONNX <c>ModelProto</c>: IR version, operator set, producer, graph and metadata.</summary>
internal sealed class OnnxModelProto(OnnxGraph graph)
{
    /// <summary>IR version 8 (ONNX 1.10 – 1.12).</summary>
    public const long IrVersion = 8;

    /// <summary>Default-domain operator set.</summary>
    public const long Opset = 17;

    public OnnxGraph Graph { get; } = graph;

    public string ProducerName { get; init; } = "Baton";

    public string ProducerVersion { get; init; } = typeof(OnnxModelProto).Assembly.GetName().Version?.ToString() ?? "";

    public string DocString { get; init; } = "";

    public List<KeyValuePair<string, string>> Metadata { get; } = [];

    public byte[] ToBytes()
    {
        var w = new ProtobufWriter();
        w.WriteInt64(1, IrVersion);
        w.WriteString(2, ProducerName);
        w.WriteString(3, ProducerVersion);
        if (DocString.Length > 0)
            w.WriteString(6, DocString);
        w.WriteMessage(7, Graph.Write);
        w.WriteMessage(8, opset =>
        {
            opset.WriteString(1, "");
            opset.WriteInt64(2, Opset);
        });
        foreach (var (key, value) in Metadata)
        {
            w.WriteMessage(14, entry =>
            {
                entry.WriteString(1, key);
                entry.WriteString(2, value);
            });
        }
        return w.ToArray();
    }
}
