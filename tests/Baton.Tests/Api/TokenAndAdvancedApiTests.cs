using Baton.Numerics;

namespace Baton.Tests.Api;

public class TokenAndAdvancedApiTests
{
    // One sequence per pass against several: the same products to float32 rounding.
    private const float BatchCompositionTolerance = 1e-5f;

    /// <summary>Token sequences over {a, b, c} of 3..10 tokens; label 1 when 'a' occurs more often than 'b'; tags: 1 where the token is 'a'.</summary>
    private static (int[][] Tokens, int[] Labels, int[][] Tags) Votes(int count, ulong seed)
    {
        var rng = new Rng(seed);
        var tokens = new int[count][];
        var labels = new int[count];
        var tags = new int[count][];
        for (int i = 0; i < count; i++)
        {
            tokens[i] = [.. Enumerable.Range(0, 3 + rng.NextInt(8)).Select(_ => rng.NextInt(3))];
            labels[i] = tokens[i].Count(t => t == 0) > tokens[i].Count(t => t == 1) ? 1 : 0;
            tags[i] = [.. tokens[i].Select(t => t == 0 ? 1 : 0)];
        }
        return (tokens, labels, tags);
    }

    [Fact]
    public void Token_classifier_learns_a_majority_vote_and_predicts_single_and_batched_sequences_alike()
    {
        var vocabulary = new TokenVocabulary(["a", "b", "c"]);
        var (tokens, labels, _) = Votes(400, seed: 41);
        var (train, validation) = SequenceDataset.ForClassification(tokens, labels).Split(0.25);
        var model = RecurrentModel.Classifier(vocabulary, 2, new RecurrentModelOptions { Cell = RecurrentCell.Gru, HiddenSize = 16, EmbeddingSize = 8 });
        var result = model.Fit(train, new FitOptions { Epochs = 20, LearningRate = 1e-2, Validation = validation });
        // The majority label scores about 0.55 here.
        Assert.True(result.Validation!.Accuracy >= 0.9, $"accuracy {result.Validation.Accuracy}");
        var held = tokens[300..];
        var batched = model.Predict(held);
        var fromData = model.Predict(validation);
        for (int i = 0; i < held.Length; i++)
        {
            var single = model.Predict(held[i]);
            Assert.Equal(Array.IndexOf(single, single.Max()), model.PredictClass(held[i]));
            for (int k = 0; k < 2; k++)
            {
                Assert.Equal(single[k], batched[i][k], BatchCompositionTolerance);
                Assert.Equal(batched[i][k], fromData[i][k]);
            }
        }
    }

    [Fact]
    public void Token_tagger_marks_every_a()
    {
        var vocabulary = new TokenVocabulary(["a", "b", "c"]);
        var (tokens, _, tags) = Votes(200, seed: 42);
        var model = RecurrentModel.StepClassifier(vocabulary, 2, new RecurrentModelOptions { HiddenSize = 8, EmbeddingSize = 4 });
        var result = model.Fit(SequenceDataset.ForStepClassification(tokens, tags), new FitOptions { Epochs = 10, LearningRate = 1e-2 });
        var evaluation = model.Evaluate(SequenceDataset.ForStepClassification(tokens, tags));
        Assert.Equal(1.0, evaluation.Accuracy);
        Assert.Equal(tags.Sum(t => t.Length), evaluation.Count);
        var steps = model.PredictSteps([0, 1, 2, 0]);
        Assert.Equal([1, 0, 0, 1], steps.Select(p => p[1] > p[0] ? 1 : 0).ToArray());
        Assert.Equal(FitStopReason.Completed, result.Reason);
    }

    [Fact]
    public void The_time_major_forward_equals_predict_and_its_span_is_overwritten_by_the_next_pass()
    {
        var model = RecurrentModel.Regressor(2, 3, new RecurrentModelOptions { Cell = RecurrentCell.MinLstm, HiddenSize = 6, Standardize = false });
        var rng = new Rng(43);
        float[][] a = [.. Enumerable.Range(0, 4).Select(_ => new[] { rng.Uniform(-1, 1), rng.Uniform(-1, 1) })];
        float[][] b = [.. Enumerable.Range(0, 4).Select(_ => new[] { rng.Uniform(-1, 1), rng.Uniform(-1, 1) })];
        var workspace = model.CreateWorkspace(maxSteps: 4, maxBatch: 1);
        var first = model.Forward(workspace, a.SelectMany(r => r).ToArray(), 4, 1);
        var kept = first.ToArray();
        Assert.Equal(model.Predict(a), kept);
        model.Forward(workspace, b.SelectMany(r => r).ToArray(), 4, 1);
        Assert.Equal(model.Predict(b), first.ToArray());   // the first span now shows the second pass
        Assert.NotEqual(kept, first.ToArray());
        var other = RecurrentModel.Regressor(2, 3);
        Assert.Equal("workspace", Assert.Throws<ArgumentException>(() => other.Forward(workspace, new float[8], 4, 1)).ParamName);
    }

    [Fact]
    public void The_time_major_token_forward_equals_predict_steps_before_the_softmax()
    {
        var model = RecurrentModel.LanguageModel(6, new RecurrentModelOptions { Cell = RecurrentCell.Rnn, HiddenSize = 5, EmbeddingSize = 3 });
        int[] tokens = [1, 5, 0, 2];
        var logits = model.Forward(model.CreateWorkspace(4, 1), tokens, 4, 1).ToArray();
        var steps = model.PredictSteps(tokens);
        for (int t = 0; t < 4; t++)
        {
            var z = logits.AsSpan(t * 6, 6).ToArray();
            double max = z.Max(), sum = z.Sum(v => Math.Exp(v - max));
            for (int k = 0; k < 6; k++)
                Assert.Equal(Math.Exp(z[k] - max) / sum, steps[t][k], 1e-6);
        }
    }

    [Fact]
    public void Stream_steps_into_a_caller_span_equal_the_allocating_steps()
    {
        var features = RecurrentModel.StepRegressor(2, 2, new RecurrentModelOptions { HiddenSize = 4 });
        var tokens = RecurrentModel.LanguageModel(4, new RecurrentModelOptions { HiddenSize = 4 });
        var (s1, s2, t1, t2) = (features.CreateStream(), features.CreateStream(), tokens.CreateStream(), tokens.CreateStream());
        var output = new float[2];
        var logits = new float[4];
        for (int step = 0; step < 5; step++)
        {
            float[] x = [0.1f * step, -0.2f * step];
            s1.Step(x, output);
            Assert.Equal(s2.Step(x), output);
            t1.Step(step % 4, logits);
            Assert.Equal(t2.Step(step % 4), logits);
        }
        Assert.Equal("output", Assert.Throws<ArgumentException>(() => s1.Step([0f, 0f], new float[3])).ParamName);
        Assert.Equal("token", Assert.Throws<ArgumentOutOfRangeException>(() => t1.Step(4)).ParamName);
    }

    [Fact]
    public void Matrix_input_predicts_as_row_arrays_do()
    {
        var classifier = RecurrentModel.Classifier(2, 3);
        var tagger = RecurrentModel.StepClassifier(2, 3);
        float[][] rows = [[0.5f, -1f], [0.25f, 2f], [-0.75f, 0f]];
        var matrix = new float[,] { { 0.5f, -1f }, { 0.25f, 2f }, { -0.75f, 0f } };
        Assert.Equal(classifier.PredictClass(rows), classifier.PredictClass(matrix));
        Assert.Equal(tagger.PredictSteps(rows), tagger.PredictSteps(matrix));
        var data = SequenceDataset.ForClassification([matrix, matrix], [0, 2]);
        Assert.Equal(3, data.OutputSize);
        Assert.Equal(2, data.InputSize);
    }

    [Fact]
    public void Shuffle_reorders_by_its_seed_and_keeps_every_sequence()
    {
        var data = SequenceDataset.ForForecasting([.. Enumerable.Range(0, 30).Select(i => (float)i)], window: 1, horizon: 1);
        var a = data.Shuffle(1);
        var b = data.Shuffle(1);
        var c = data.Shuffle(2);
        float[] Firsts(SequenceDataset d) => [.. d.Examples.Select(e => e.Features![0])];
        Assert.Equal(Firsts(a), Firsts(b));
        Assert.NotEqual(Firsts(a), Firsts(c));
        Assert.NotEqual(Firsts(data), Firsts(a));
        Assert.Equal(Firsts(data), Firsts(a).Order().ToArray());
    }

    [Fact]
    public void A_vocabulary_of_words_maps_ids_but_refuses_to_cut_text_into_characters()
    {
        var words = new TokenVocabulary(["the", "baton", "passes"]);
        Assert.False(words.IsCharacters);
        Assert.Equal(1, words.IdOf("baton"));
        Assert.Equal(-1, words.IdOf("runner"));
        Assert.Equal("thebatonpasses", words.Decode([0, 1, 2]));
        Assert.Throws<InvalidOperationException>(() => words.Encode("the"));
        Assert.Throws<ArgumentException>(() => new TokenVocabulary(["a", "a"]));
        Assert.True(TokenVocabulary.FromCharacters("ba😀").IsCharacters);
        Assert.Equal([1, 0, 2], TokenVocabulary.FromCharacters("ba😀").Encode("ba😀"));
    }
}
