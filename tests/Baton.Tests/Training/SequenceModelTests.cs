using Baton.Models;
using Baton.Numerics;

namespace Baton.Tests.Training;

public class SequenceModelTests
{
    // Central differences in float32 with step 1e-2: truncation and rounding both ~1e-4 relative.
    private const double FiniteDifferenceStep = 1e-2;
    private const double GradientRelativeTolerance = 2e-2;
    private const double GradientAbsoluteTolerance = 2e-3;

    private static double WeightedSum(ReadOnlySpan<float> output, float[] weights)
    {
        double s = 0;
        for (int i = 0; i < output.Length; i++)
            s += (double)output[i] * weights[i];
        return s;
    }

    /// <summary>Checks Backward against central differences of L = Σ output·R at a spread of parameters.</summary>
    internal static void CheckGradients(SequenceModel model, Func<SequenceWorkspace, Span<float>> forward, SequenceWorkspace ws)
    {
        var rng = new Rng(3);
        var output = forward(ws);
        var r = new float[output.Length];
        for (int i = 0; i < r.Length; i++)
            r[i] = rng.Uniform(-1, 1);
        model.Parameters.ZeroGrad();
        model.Backward(ws, r);
        var grad = (float[])model.Parameters.Grad.Clone();
        var data = model.Parameters.Data;
        foreach (var tensor in model.Parameters.Tensors)
        {
            for (int k = 0; k < 3; k++)
            {
                int i = tensor.Offset + rng.NextInt(tensor.Length);
                float saved = data[i];
                data[i] = (float)(saved + FiniteDifferenceStep);
                double plus = WeightedSum(forward(ws), r);
                data[i] = (float)(saved - FiniteDifferenceStep);
                double minus = WeightedSum(forward(ws), r);
                data[i] = saved;
                double numeric = (plus - minus) / (2 * FiniteDifferenceStep);
                Assert.True(Math.Abs(numeric - grad[i]) <= GradientAbsoluteTolerance + GradientRelativeTolerance * Math.Abs(numeric),
                    $"{tensor.Name}[{i - tensor.Offset}]: backward {grad[i]} vs numeric {numeric}");
            }
        }
    }

    [Fact]
    public void Bidirectional_token_classifier_gradients_match_finite_differences_with_variable_lengths()
    {
        var model = new SequenceModel(new ModelConfig
        {
            Task = "classify", Cell = "lstm", Layers = 2, Hidden = 5, Embedding = 3, Bidirectional = true, OutputSize = 3, Vocab = ["a", "b", "c", "d"],
        });
        model.ResetParameters(new Rng(11));
        int T = 6, B = 3;
        int[] ids = Enumerable.Range(0, T * B).Select(i => (i * 7 + 1) % 4).ToArray();
        int[] lengths = [6, 2, 4];
        var ws = model.CreateWorkspace(T, B);
        CheckGradients(model, w => model.ForwardTokens(w, ids, T, B, lengths), ws);
    }

    [Fact]
    public void Forecast_gru_gradients_match_finite_differences()
    {
        var model = new SequenceModel(new ModelConfig { Task = "forecast", Cell = "gru", Layers = 2, Hidden = 4, InputSize = 2, OutputSize = 3 });
        model.ResetParameters(new Rng(12));
        int T = 5, B = 2;
        var rng = new Rng(4);
        float[] x = Enumerable.Range(0, T * B * 2).Select(_ => rng.Uniform(-1, 1)).ToArray();
        var ws = model.CreateWorkspace(T, B);
        CheckGradients(model, w => model.ForwardFeatures(w, x, T, B), ws);
    }

    [Fact]
    public void Language_model_gradients_match_finite_differences_from_a_carried_state()
    {
        var model = new SequenceModel(new ModelConfig { Task = "lm", Cell = "lstm", Layers = 1, Hidden = 4, Embedding = 3, OutputSize = 5 });
        model.ResetParameters(new Rng(13));
        int T = 4, B = 2;
        var ws = model.CreateWorkspace(T, B);
        var rng = new Rng(8);
        for (int i = 0; i < ws.H0.Length; i++)
            ws.H0[i] = rng.Uniform(-0.5f, 0.5f);
        for (int i = 0; i < ws.C0.Length; i++)
            ws.C0[i] = rng.Uniform(-0.5f, 0.5f);
        int[] ids = [0, 1, 2, 3, 4, 0, 1, 2];
        CheckGradients(model, w => model.ForwardTokens(w, ids, T, B, useState: true), ws);
    }

    [Fact]
    public void Gradients_with_dropout_between_layers_and_before_the_head_match_finite_differences()
    {
        var model = new SequenceModel(new ModelConfig { Task = "lm", Cell = "gru", Layers = 2, Hidden = 5, Embedding = 3, OutputSize = 4, Dropout = 0.3f });
        model.ResetParameters(new Rng(14));
        int T = 4, B = 2;
        int[] ids = [0, 1, 2, 3, 3, 2, 1, 0];
        var ws = model.CreateWorkspace(T, B);
        // A fresh generator with the same seed for every pass: the same masks each time.
        CheckGradients(model, w => model.ForwardTokens(w, ids, T, B, training: true, rng: new Rng(99)), ws);
        var eval = model.ForwardTokens(ws, ids, T, B).ToArray();
        var train = model.ForwardTokens(ws, ids, T, B, training: true, rng: new Rng(99)).ToArray();
        Assert.NotEqual(eval, train);
    }

    [Fact]
    public void Step_by_step_streaming_gives_the_logits_of_the_full_forward_pass()
    {
        var model = new SequenceModel(IO.ModelFileTests.SmallLm("gru"));
        model.ResetParameters(new Rng(21));
        int T = 7, B = 2;
        int[] ids = Enumerable.Range(0, T * B).Select(i => (i * 3) % 5).ToArray();
        var ws = model.CreateWorkspace(T, B);
        var full = model.ForwardTokens(ws, ids, T, B).ToArray();
        var stream = model.CreateStream(B);
        int V = model.Config.OutputSize;
        for (int t = 0; t < T; t++)
        {
            var logits = model.Step(stream, ids.AsSpan(t * B, B));
            for (int i = 0; i < B * V; i++)
                Assert.True(Math.Abs(logits[i] - full[t * B * V + i]) <= 1e-5f, $"t={t} i={i}: {logits[i]} vs {full[t * B * V + i]}");
        }
    }

    [Fact]
    public void Token_ids_outside_the_vocabulary_are_rejected()
    {
        var model = new SequenceModel(IO.ModelFileTests.SmallLm());
        var ws = model.CreateWorkspace(2, 1);
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => model.ForwardTokens(ws, [1, 9], 2, 1));
        Assert.Contains("token id 9", e.Message);
    }

    [Fact]
    public void A_bidirectional_language_model_is_rejected_naming_the_field()
    {
        var e = Assert.Throws<ModelConfigException>(() => new SequenceModel(IO.ModelFileTests.SmallLm() with { Bidirectional = true }));
        Assert.Equal("bidirectional", e.Field);
    }
}
