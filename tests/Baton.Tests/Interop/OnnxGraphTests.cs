using Baton.IO;
using Microsoft.ML.OnnxRuntime;
using Xunit.Abstractions;
using static Baton.Tests.Interop.InteropTestModels;

namespace Baton.Tests.Interop;

/// <summary>
/// The exported graph, run in ONNX Runtime, against an independent float64 implementation of the
/// PyTorch module (<see cref="TorchReference"/>).
/// </summary>
public sealed class OnnxGraphTests(ITestOutputHelper output)
{
    /// <summary>ONNX Runtime computes in float32: max |ort - ref| / (1 + |ref|).</summary>
    private const double OrtTolerance = 1e-5;

    private const int T = 7, B = 3, V = 11, E = 5, F = 4, H = 6;

    [Theory]
    [InlineData("lstm", 1, false)]
    [InlineData("lstm", 2, true)]
    [InlineData("gru", 1, false)]
    [InlineData("gru", 2, true)]
    [InlineData("rnn", 2, false)]
    [InlineData("rnn", 1, true)]
    [InlineData("rnn_relu", 2, true)]
    public void Token_model_in_onnx_runtime_matches_the_pytorch_equations(string cell, int layers, bool bidirectional)
    {
        int D = bidirectional ? 2 : 1;
        var p = RandomParameters(cell, V, E, H, layers, bidirectional, V, seed: 1);
        var spec = new OnnxGraphSpec(cell, E, H, layers, bidirectional, 0, V, V, OnnxHeadMode.EveryStep, "logits");
        using var session = Session(OnnxGraphBuilder.Build(spec, p).ToBytes());

        long[] tokens = RandomTokens(T * B, V, seed: 2);
        float[] h0 = RandomFloats(layers * D * B * H, seed: 3);
        float[] c0 = RandomFloats(layers * D * B * H, seed: 4);
        var inputs = new List<NamedOnnxValue> { Tensor("tokens", tokens, T, B), Tensor("h0", h0, layers * D, B, H) };
        if (cell == "lstm")
            inputs.Add(Tensor("c0", c0, layers * D, B, H));
        var ort = Run(session, inputs.ToArray());

        var expected = TorchReference.Forward(p, cell, layers, bidirectional, H, V, TorchReference.Embed(p, tokens, E), T, B, E,
            ToDouble(h0), cell == "lstm" ? ToDouble(c0) : [], finalStateHead: false);
        Check("logits", ort["logits"], expected.Output);
        Check("hn", ort["hn"], expected.Hn);
        if (cell == "lstm")
            Check("cn", ort["cn"], expected.Cn);
        else
            Assert.False(ort.ContainsKey("cn"));
    }

    [Theory]
    [InlineData("lstm", 2, false, true)]
    [InlineData("gru", 1, true, false)]
    [InlineData("rnn", 2, true, true)]
    public void Feature_model_without_state_inputs_starts_from_zero_state(string cell, int layers, bool bidirectional, bool finalState)
    {
        const int O = 2;
        var p = RandomParameters(cell, 0, F, H, layers, bidirectional, O, seed: 5);
        var spec = new OnnxGraphSpec(cell, F, H, layers, bidirectional, 0, 0, O,
            finalState ? OnnxHeadMode.FinalState : OnnxHeadMode.EveryStep, "prediction");
        using var session = Session(OnnxGraphBuilder.Build(spec, p).ToBytes());

        float[] features = RandomFloats(T * B * F, seed: 6, scale: 2f);
        var ort = Run(session, Tensor("features", features, T, B, F));

        var expected = TorchReference.Forward(p, cell, layers, bidirectional, H, O, ToDouble(features), T, B, F, [], [],
            finalStateHead: finalState);
        Check("prediction", ort["prediction"], expected.Output);
        Check("hn", ort["hn"], expected.Hn);
        if (cell == "lstm")
            Check("cn", ort["cn"], expected.Cn);
    }

    [Theory]
    [InlineData("lstm")]
    [InlineData("gru")]
    [InlineData("rnn")]
    public void Streaming_through_onnx_by_feeding_states_back_equals_one_long_run(string cell)
    {
        const int layers = 2, T1 = 4;
        var p = RandomParameters(cell, V, E, H, layers, false, V, seed: 7);
        var spec = new OnnxGraphSpec(cell, E, H, layers, false, 0, V, V, OnnxHeadMode.EveryStep, "logits");
        using var session = Session(OnnxGraphBuilder.Build(spec, p).ToBytes());
        long[] tokens = RandomTokens(T * B, V, seed: 8);

        var whole = Run(session, Tensor("tokens", tokens, T, B));
        var first = Run(session, Tensor("tokens", tokens[..(T1 * B)], T1, B));
        var secondInputs = new List<NamedOnnxValue>
        {
            Tensor("tokens", tokens[(T1 * B)..], T - T1, B),
            Tensor("h0", first["hn"], layers, B, H),
        };
        if (cell == "lstm")
            secondInputs.Add(Tensor("c0", first["cn"], layers, B, H));
        var second = Run(session, secondInputs.ToArray());

        float[] streamed = [.. first["logits"], .. second["logits"]];
        Check("streamed logits", streamed, whole["logits"]);
        Check("streamed hn", second["hn"], whole["hn"]);
    }

    [Fact]
    public void Lstm_with_projection_is_refused_with_a_clear_message()
    {
        var p = RandomParameters("lstm", V, E, H, 1, false, V, seed: 9);
        var spec = new OnnxGraphSpec("lstm", E, H, 1, false, 3, V, V, OnnxHeadMode.EveryStep, "logits");
        var e = Assert.Throws<NotSupportedException>(() => OnnxGraphBuilder.Build(spec, p));
        Assert.Contains("proj_size", e.Message);
    }

    [Fact]
    public void Unknown_cell_is_refused_with_a_clear_message()
    {
        var p = RandomParameters("rnn", V, E, H, 1, false, V, seed: 10);
        var spec = new OnnxGraphSpec("transformer", E, H, 1, false, 0, V, V, OnnxHeadMode.EveryStep, "logits");
        var e = Assert.Throws<NotSupportedException>(() => OnnxGraphBuilder.Build(spec, p));
        Assert.Contains("Unknown cell 'transformer'", e.Message);
    }

    private void Check(string name, float[] actual, double[] expected)
    {
        double error = MaxError(actual, expected);
        output.WriteLine($"{name}: max error {error:E2}");
        Assert.True(error <= OrtTolerance, $"{name}: max error {error:E2} > {OrtTolerance:E0}");
    }

    private void Check(string name, float[] actual, float[] expected)
    {
        double error = MaxError(actual, expected);
        output.WriteLine($"{name}: max error {error:E2}");
        Assert.True(error <= OrtTolerance, $"{name}: max error {error:E2} > {OrtTolerance:E0}");
    }
}
