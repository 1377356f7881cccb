using Baton.Layers;
using Baton.Numerics;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace Baton.Tests.Interop;

/// <summary>Shared helpers: random PyTorch-named parameter blocks, ONNX Runtime calls, error measures.</summary>
internal static class InteropTestModels
{
    /// <summary>Registers DESIGN.md's module tensors under PyTorch names and fills them with U(-scale, scale).</summary>
    public static Parameters RandomParameters(string cell, int vocab, int inputSize, int H, int layers, bool bidirectional,
        int outputSize, ulong seed, float scale = 0.5f)
    {
        int D = bidirectional ? 2 : 1;
        int G = cell switch { "lstm" => 4, "gru" => 3, _ => 1 };
        var p = new Parameters();
        if (vocab > 0)
            p.Add("embedding.weight", vocab, inputSize);
        for (int l = 0; l < layers; l++)
        {
            int I = l == 0 ? inputSize : D * H;
            for (int d = 0; d < D; d++)
            {
                string suffix = $"_l{l}{(d == 1 ? "_reverse" : "")}";
                p.Add("rnn.weight_ih" + suffix, G * H, I);
                p.Add("rnn.weight_hh" + suffix, G * H, H);
                p.Add("rnn.bias_ih" + suffix, G * H);
                p.Add("rnn.bias_hh" + suffix, G * H);
            }
        }
        p.Add("head.weight", outputSize, D * H);
        p.Add("head.bias", outputSize);
        p.Freeze();
        var rng = new Rng(seed);
        for (int i = 0; i < p.Data.Length; i++)
            p.Data[i] = rng.Uniform(-scale, scale);
        return p;
    }

    public static float[] RandomFloats(int count, ulong seed, float scale = 1f)
    {
        var rng = new Rng(seed);
        var a = new float[count];
        for (int i = 0; i < a.Length; i++)
            a[i] = rng.Uniform(-scale, scale);
        return a;
    }

    public static long[] RandomTokens(int count, int vocab, ulong seed)
    {
        var rng = new Rng(seed);
        var a = new long[count];
        for (int i = 0; i < a.Length; i++)
            a[i] = rng.NextInt(vocab);
        return a;
    }

    /// <summary>
    /// An ONNX Runtime session that logs errors only: the optional state inputs are overridable
    /// initializers, which ONNX Runtime reports with a warning on every load.
    /// </summary>
    public static InferenceSession Session(byte[] model)
    {
        using var options = new SessionOptions { LogSeverityLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR };
        return new InferenceSession(model, options);
    }

    /// <summary>Runs an ONNX model in ONNX Runtime; returns every output by name, flattened.</summary>
    public static Dictionary<string, float[]> Run(InferenceSession session, params NamedOnnxValue[] inputs)
    {
        using var results = session.Run(inputs);
        return results.ToDictionary(r => r.Name, r => r.AsTensor<float>().ToArray());
    }

    public static NamedOnnxValue Tensor(string name, float[] data, params int[] dims) =>
        NamedOnnxValue.CreateFromTensor(name, new DenseTensor<float>(data, dims));

    public static NamedOnnxValue Tensor(string name, long[] data, params int[] dims) =>
        NamedOnnxValue.CreateFromTensor(name, new DenseTensor<long>(data, dims));

    /// <summary>max |a - b| / (1 + |b|): absolute for small values, relative for large ones.</summary>
    public static double MaxError(ReadOnlySpan<float> actual, ReadOnlySpan<double> expected)
    {
        Assert.Equal(expected.Length, actual.Length);
        double worst = 0;
        for (int i = 0; i < actual.Length; i++)
            worst = Math.Max(worst, Math.Abs(actual[i] - expected[i]) / (1 + Math.Abs(expected[i])));
        return worst;
    }

    public static double MaxError(ReadOnlySpan<float> actual, ReadOnlySpan<float> expected)
    {
        Assert.Equal(expected.Length, actual.Length);
        double worst = 0;
        for (int i = 0; i < actual.Length; i++)
            worst = Math.Max(worst, Math.Abs(actual[i] - (double)expected[i]) / (1 + Math.Abs(expected[i])));
        return worst;
    }

    public static double[] ToDouble(float[] a) => Array.ConvertAll(a, v => (double)v);
}
