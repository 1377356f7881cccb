using System.Text.Json;
using Baton.IO;

namespace Baton.Tests.Api;

/// <summary>
/// Model files written by the library before the typed API existed (tests/Baton.Tests/fixtures/models, made by
/// tools/model-fixtures) keep loading and predicting the same.
/// </summary>
public class ModelFileCompatibilityTests
{
    // Predict runs one sequence per pass where the fixture ran two: the same products to float32 rounding, then softmax.
    private const float BatchCompositionTolerance = 1e-5f;

    private static string Fixtures => Path.Combine(AppContext.BaseDirectory, "fixtures", "models");

    public static TheoryData<string> Names => new()
    {
        "lm-lstm-chars", "classify-gru-bidirectional", "classify-rnnrelu-tokens", "forecast-lstm-scaled", "forecast-mingru",
        "classify-minlstm", "forecast-lstm-proj",
    };

    private static JsonElement Expected(string name)
    {
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(Fixtures, "expected.json")));
        return json.RootElement.GetProperty(name).Clone();
    }

    private static T[] Array<T>(JsonElement e, string name) => e.GetProperty(name).Deserialize<T[]>()!;

    [Theory]
    [MemberData(nameof(Names))]
    public void A_model_file_written_before_the_typed_api_loads_and_gives_its_recorded_outputs_bit_for_bit(string name)
    {
        var expected = Expected(name);
        var model = RecurrentModel.Load(Path.Combine(Fixtures, name + ".safetensors"));
        var inner = model.Inner;
        const int T = 5, B = 2;
        var lengths = Array<int>(expected, "lengths");
        var ws = inner.CreateWorkspace(T, B);
        float[] output = inner.Config.UsesEmbedding
            ? inner.ForwardTokens(ws, Array<int>(expected, "ids"), T, B, lengths).ToArray()
            : inner.ForwardFeatures(ws, Array<float>(expected, "x"), T, B, lengths).ToArray();
        Assert.Equal(Array<float>(expected, "output"), output);
        Assert.Equal(ModelFile.Load(Path.Combine(Fixtures, name + ".safetensors")).Parameters.Data, inner.Parameters.Data);
    }

    [Theory]
    [InlineData("classify-gru-bidirectional")]
    [InlineData("classify-minlstm")]
    [InlineData("forecast-mingru")]
    [InlineData("forecast-lstm-proj")]
    public void Predict_on_a_fixture_equals_its_recorded_output_for_each_sequence(string name)
    {
        var expected = Expected(name);
        var model = RecurrentModel.Load(Path.Combine(Fixtures, name + ".safetensors"));
        const int T = 5, B = 2;
        int I = model.InputSize, O = model.OutputSize;
        var x = Array<float>(expected, "x");
        var lengths = Array<int>(expected, "lengths");
        var output = Array<float>(expected, "output");
        for (int b = 0; b < B; b++)
        {
            float[][] sequence = [.. Enumerable.Range(0, lengths[b]).Select(t => x.AsSpan((t * B + b) * I, I).ToArray())];
            var predicted = model.Predict(sequence);
            var logits = output.AsSpan(b * O, O).ToArray();
            for (int k = 0; k < O; k++)
            {
                float want = model.Task == ModelTask.Classification
                    ? (float)(Math.Exp(logits[k] - logits.Max()) / logits.Sum(z => Math.Exp(z - logits.Max())))
                    : logits[k];
                Assert.Equal(want, predicted[k], BatchCompositionTolerance);
            }
        }
        _ = T;
    }

    [Fact]
    public void A_scaled_forecast_fixture_predicts_in_the_targets_units_with_its_stored_statistics()
    {
        var expected = Expected("forecast-lstm-scaled");
        var model = RecurrentModel.Load(Path.Combine(Fixtures, "forecast-lstm-scaled.safetensors"));
        Assert.True(model.Options.Standardize);
        var x = Array<float>(expected, "x");   // standardised inputs, [T, B, 2]
        var output = Array<float>(expected, "output");
        float[] mean = [10f, 100f], std = [3f, 20f];
        // Sequence 0 (5 steps) in raw units: x·σ + μ, which Predict standardises back.
        float[][] raw = [.. Enumerable.Range(0, 5).Select(t => new[] { x[t * 4] * std[0] + mean[0], x[t * 4 + 1] * std[1] + mean[1] })];
        var predicted = model.Predict(raw);
        for (int k = 0; k < 6; k++)
            Assert.Equal(output[k] * 20f + 100f, predicted[k], 1e-3f);
    }

    [Fact]
    public void A_character_language_model_fixture_keeps_its_vocabulary()
    {
        var model = RecurrentModel.Load(Path.Combine(Fixtures, "lm-lstm-chars.safetensors"));
        Assert.Equal(ModelTask.LanguageModel, model.Task);
        Assert.Equal(["a", "b", "c", " ", "\n"], model.Vocabulary!.Tokens);
        Assert.Equal(RecurrentCell.Lstm, model.Options.Cell);
        Assert.Equal(2, model.Options.Layers);
        Assert.Equal(5, model.Generate("ab", 5, temperature: 0).Length);
    }
}
