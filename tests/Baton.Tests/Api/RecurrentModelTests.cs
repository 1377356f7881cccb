using Baton.Models;
using Baton.Numerics;

namespace Baton.Tests.Api;

public class RecurrentModelTests
{
    // Softmax in double then rounded to float, against the same from the internal logits: equal to float rounding.
    private const float ProbabilityTolerance = 1e-6f;

    private static float[] Weights(RecurrentModel model) => (float[])model.Inner.Parameters.Data.Clone();

    [Fact]
    public void A_new_model_is_initialised_from_its_seed_and_never_all_zero()
    {
        var a = RecurrentModel.Classifier(3, 4, new RecurrentModelOptions { Cell = RecurrentCell.Gru, HiddenSize = 8, Seed = 5 });
        var b = RecurrentModel.Classifier(3, 4, new RecurrentModelOptions { Cell = RecurrentCell.Gru, HiddenSize = 8, Seed = 5 });
        var c = RecurrentModel.Classifier(3, 4, new RecurrentModelOptions { Cell = RecurrentCell.Gru, HiddenSize = 8, Seed = 6 });
        Assert.Equal(Weights(a), Weights(b));
        Assert.NotEqual(Weights(a), Weights(c));
        var reference = new SequenceModel(a.Inner.Config);
        reference.ResetParameters(new Rng(5));
        Assert.Equal(reference.Parameters.Data, Weights(a));
        // The internal constructor initialises too (from its default seed), so no path leaves a silent zero model.
        var internalModel = new SequenceModel(a.Inner.Config);
        var expected = new SequenceModel(a.Inner.Config);
        expected.ResetParameters(new Rng(SequenceModel.DefaultSeed));
        Assert.Equal(expected.Parameters.Data, internalModel.Parameters.Data);
        Assert.True(internalModel.Parameters.Data.Count(v => v != 0) > internalModel.Parameters.Count * 9 / 10);
    }

    [Fact]
    public void Classifier_learns_variable_length_sequences_to_95_percent_accuracy_where_chance_is_33()
    {
        var (x, y) = ApiData.Shapes(360, seed: 1);
        var (train, validation) = SequenceDataset.ForClassification(x, y).Split(0.25);
        var model = RecurrentModel.Classifier(1, 3, new RecurrentModelOptions { Cell = RecurrentCell.Gru, HiddenSize = 16 });
        var result = model.Fit(train, new FitOptions { Epochs = 15, LearningRate = 1e-2, Validation = validation });
        Assert.Equal(FitStopReason.Completed, result.Reason);
        Assert.True(result.Validation!.Accuracy >= 0.95, $"validation accuracy {result.Validation.Accuracy}");
        Assert.Equal(90, result.Validation.Count);
        var untrained = RecurrentModel.Classifier(1, 3, new RecurrentModelOptions { Cell = RecurrentCell.Gru, HiddenSize = 16 });
        Assert.True(untrained.Evaluate(validation).Accuracy < 0.6, "an untrained model must not pass the bound");
    }

    [Fact]
    public void Regressor_learns_sequence_summaries_in_the_targets_own_units()
    {
        var (x, y) = ApiData.Summaries(400, seed: 2);
        var (train, validation) = SequenceDataset.ForRegression(x, y).Split(0.25);
        var model = RecurrentModel.Regressor(2, 2, new RecurrentModelOptions { HiddenSize = 24 });
        var result = model.Fit(train, new FitOptions { Epochs = 25, LearningRate = 1e-2, Validation = validation });
        // Predicting the mean target everywhere scores MAE ≈ 3.3 here (targets are 50 ± 10·U(−1, 1) and 50 ± 10·mean of U).
        double baseline = MeanBaselineMae(y.Skip(300).ToArray(), y.Take(300).ToArray());
        Assert.True(baseline > 2.5, $"baseline {baseline}");
        Assert.True(result.Validation!.MeanAbsoluteError < 0.3 * baseline, $"MAE {result.Validation.MeanAbsoluteError} vs baseline {baseline}");
        Assert.Equal(50f, model.Inner.Config.TargetMean[0], 0.5f);
    }

    private static double MeanBaselineMae(float[][] test, float[][] train)
    {
        int k = train[0].Length;
        var mean = Enumerable.Range(0, k).Select(j => train.Average(t => t[j])).ToArray();
        return test.Average(t => Enumerable.Range(0, k).Average(j => Math.Abs(t[j] - mean[j])));
    }

    [Fact]
    public void Forecaster_predicts_the_next_six_steps_of_a_sine_within_a_tenth()
    {
        var series = ApiData.Sine(600, seed: 3);
        var data = SequenceDataset.ForForecasting(series, window: 24, horizon: 6);
        var (train, validation) = data.Split(0.2);
        var model = RecurrentModel.Forecaster(1, horizon: 6, options: new RecurrentModelOptions { HiddenSize = 16 });
        var result = model.Fit(train, new FitOptions { Epochs = 8, LearningRate = 1e-2, Validation = validation });
        // Predicting the series mean scores RMSE ≈ 0.71 (the sine's); a working forecaster stays near the 0.03 noise.
        Assert.True(result.Validation!.RootMeanSquaredError < 0.1, $"RMSE {result.Validation.RootMeanSquaredError}");
        var next = model.Predict([.. series[^24..].Select(v => new[] { v })]);
        Assert.Equal(6, next.Length);
        for (int h = 0; h < 6; h++)
            Assert.True(Math.Abs(next[h] - MathF.Sin(2 * MathF.PI * (600 + h) / 24)) < 0.2, $"h={h}: {next[h]}");
    }

    [Fact]
    public void Step_classifier_tags_every_step_with_the_sign_of_the_running_sum()
    {
        var (x, y) = ApiData.RunningSign(400, seed: 4);
        var (train, validation) = SequenceDataset.ForStepClassification(x, y).Split(0.25);
        var model = RecurrentModel.StepClassifier(1, 2, new RecurrentModelOptions { HiddenSize = 16 });
        var result = model.Fit(train, new FitOptions { Epochs = 20, LearningRate = 1e-2, Validation = validation });
        // The majority tag scores about 0.6; the running sum needs memory of every step.
        Assert.True(result.Validation!.Accuracy >= 0.97, $"per-step accuracy {result.Validation.Accuracy}");
        Assert.Equal(validation.Count == 0 ? 0 : y.Skip(300).Sum(l => l.Length), result.Validation.Count);
        var tags = model.PredictSteps(x[0]);
        Assert.Equal(x[0].Length, tags.Length);
    }

    [Fact]
    public void Step_regressor_learns_to_output_the_previous_input_at_every_step()
    {
        var (x, y) = ApiData.Delay(400, seed: 5);
        var (train, validation) = SequenceDataset.ForStepRegression(x, y).Split(0.25);
        var model = RecurrentModel.StepRegressor(1, 1, new RecurrentModelOptions { HiddenSize = 16 });
        var result = model.Fit(train, new FitOptions { Epochs = 20, LearningRate = 1e-2, Validation = validation });
        // Predicting 0 everywhere scores RMSE ≈ 0.55 (U(−1, 1) has σ = 0.577).
        Assert.True(result.Validation!.RootMeanSquaredError < 0.1, $"RMSE {result.Validation.RootMeanSquaredError}");
    }

    [Fact]
    public void Character_model_learns_a_repeated_phrase_and_generates_its_continuation()
    {
        const string text = "hello world. hello baton. ";
        string corpus = string.Concat(Enumerable.Repeat(text, 30));
        var vocabulary = TokenVocabulary.FromCharacters(corpus);
        var data = SequenceDataset.ForLanguageModel(vocabulary.Encode(corpus), sequenceLength: 32);
        var model = RecurrentModel.LanguageModel(vocabulary, new RecurrentModelOptions { HiddenSize = 48, EmbeddingSize = 16 });
        model.Fit(data, new FitOptions { Epochs = 40, LearningRate = 1e-2, BatchSize = 8 });
        var evaluation = model.Evaluate(data);
        // Uniform guessing costs ln(12) = 2.48 nats; only the letter after "hello " is uncertain (ln 2 once per 13 characters).
        Assert.True(evaluation.Loss < 0.2, $"loss {evaluation.Loss}");
        Assert.Equal("lo world. hello ", model.Generate("hel", 16, temperature: 0));
    }

    [Fact]
    public void Predict_gives_the_softmax_of_the_internal_forward_pass()
    {
        var model = RecurrentModel.Classifier(3, 4, new RecurrentModelOptions { Cell = RecurrentCell.Lstm, HiddenSize = 8, Layers = 2 });
        var rng = new Rng(7);
        float[][] sequence = [.. Enumerable.Range(0, 9).Select(_ => new[] { rng.Uniform(-1, 1), rng.Uniform(-1, 1), rng.Uniform(-1, 1) })];
        var p = model.Predict(sequence);
        var ws = model.Inner.CreateWorkspace(9, 1);
        var logits = model.Inner.ForwardFeatures(ws, sequence.SelectMany(r => r).ToArray(), 9, 1).ToArray();
        double max = logits.Max(), sum = logits.Sum(z => Math.Exp(z - max));
        for (int k = 0; k < 4; k++)
            Assert.Equal(Math.Exp(logits[k] - max) / sum, p[k], ProbabilityTolerance);
        Assert.Equal(Array.IndexOf(logits, logits.Max()), model.PredictClass(sequence));
        var matrix = new float[9, 3];
        for (int t = 0; t < 9; t++)
            for (int i = 0; i < 3; i++)
                matrix[t, i] = sequence[t][i];
        Assert.Equal(p, model.Predict(matrix));
    }

    [Fact]
    public void Predict_of_a_regressor_without_statistics_is_the_internal_forward_bit_for_bit_and_owned_by_the_caller()
    {
        var model = RecurrentModel.StepRegressor(2, 3, new RecurrentModelOptions { Cell = RecurrentCell.Rnn, HiddenSize = 6, Standardize = false });
        var rng = new Rng(8);
        float[][] a = [.. Enumerable.Range(0, 5).Select(_ => new[] { rng.Uniform(-1, 1), rng.Uniform(-1, 1) })];
        float[][] b = [.. Enumerable.Range(0, 7).Select(_ => new[] { rng.Uniform(-1, 1), rng.Uniform(-1, 1) })];
        var first = model.PredictSteps(a);
        var firstCopy = first.Select(r => (float[])r.Clone()).ToArray();
        model.PredictSteps(b);
        Assert.Equal(firstCopy, first);   // a second call does not overwrite what the first returned
        var ws = model.Inner.CreateWorkspace(5, 1);
        var raw = model.Inner.ForwardFeatures(ws, a.SelectMany(r => r).ToArray(), 5, 1).ToArray();
        Assert.Equal(raw, first.SelectMany(r => r).ToArray());
    }

    [Fact]
    public void A_stream_gives_the_per_step_predictions_of_the_full_pass()
    {
        var (x, y) = ApiData.Delay(40, seed: 9);
        var model = RecurrentModel.StepRegressor(1, 1, new RecurrentModelOptions { Cell = RecurrentCell.Gru, HiddenSize = 8 });
        model.Fit(SequenceDataset.ForStepRegression(x, y), new FitOptions { Epochs = 1 });   // learns its statistics
        var full = model.PredictSteps(x[0]);
        var stream = model.CreateStream();
        for (int t = 0; t < x[0].Length; t++)
            Assert.Equal(full[t], stream.Step(x[0][t]));
        Assert.Equal(x[0].Length, stream.Steps);
        stream.Reset();
        Assert.Equal(full[0], stream.Step(x[0][0]));
    }

    [Fact]
    public void A_classifier_stream_classifies_every_prefix_as_predict_does()
    {
        var (x, _) = ApiData.Shapes(3, seed: 10);
        var model = RecurrentModel.Classifier(1, 3, new RecurrentModelOptions { Cell = RecurrentCell.Lstm, HiddenSize = 8 });
        var stream = model.CreateStream();
        for (int t = 0; t < x[0].Length; t++)
        {
            var streamed = stream.Step(x[0][t]);
            var predicted = model.Predict(x[0][..(t + 1)]);
            for (int k = 0; k < 3; k++)
                Assert.Equal(predicted[k], streamed[k], ProbabilityTolerance);
        }
    }

    [Fact]
    public void Early_stopping_restores_the_weights_of_the_best_validation_loss()
    {
        var (x, y) = ApiData.Noise(160, seed: 11);
        var (train, validation) = SequenceDataset.ForClassification(x, y).Split(0.5);
        var model = RecurrentModel.Classifier(2, 2, new RecurrentModelOptions { HiddenSize = 32 });
        var losses = new List<double>();
        var progress = new SyncProgress(p => { if (p.ValidationLoss is double v) losses.Add(v); });
        var result = model.Fit(train, new FitOptions
        {
            Epochs = 200, BatchSize = 16, LearningRate = 2e-2, Validation = validation, Patience = 3, Progress = progress,
        });
        Assert.Equal(FitStopReason.EarlyStopped, result.Reason);
        double best = losses.Min();
        Assert.Equal(best, result.BestValidationLoss);
        Assert.True(losses[^1] > best, "the last epoch was worse than the best (so restoring mattered)");
        Assert.Equal(losses.IndexOf(best) + 1, result.BestEpoch);
        Assert.Equal(best, model.Evaluate(validation, batchSize: 16).Loss);
        Assert.Equal(best, result.Validation!.Loss);
    }

    [Fact]
    public void A_run_cancelled_and_resumed_from_its_checkpoint_ends_bit_identical_to_an_uninterrupted_run()
    {
        using var dir = new IO.TempDirectory();
        var (x, y) = ApiData.Summaries(120, seed: 12);
        var (train, validation) = SequenceDataset.ForRegression(x, y).Split(0.25);
        var options = new RecurrentModelOptions { Cell = RecurrentCell.Lstm, HiddenSize = 8, Dropout = 0.2f, Layers = 2 };
        FitOptions Fit(string name) => new()
        {
            Epochs = 6, BatchSize = 16, Validation = validation, CheckpointPath = Path.Combine(dir.Path, name), Resume = true,
        };

        var whole = RecurrentModel.Regressor(2, 2, options);
        var wholeResult = whole.Fit(train, Fit("whole.ckpt"));
        Assert.Equal(FitStopReason.Completed, wholeResult.Reason);

        var interrupted = RecurrentModel.Regressor(2, 2, options);
        using var cancel = new CancellationTokenSource();
        var first = interrupted.Fit(train, Fit("parts.ckpt") with { Progress = new SyncProgress(p => { if (p.Step == 9) cancel.Cancel(); }) },
            cancel.Token);
        Assert.Equal(FitStopReason.Cancelled, first.Reason);
        Assert.Equal(9, first.Steps);

        var resumed = RecurrentModel.Regressor(2, 2, options);
        var second = resumed.Fit(train, Fit("parts.ckpt"));
        Assert.Equal(FitStopReason.Completed, second.Reason);
        Assert.Equal(wholeResult.Steps, second.Steps);
        Assert.Equal(wholeResult.BestValidationLoss, second.BestValidationLoss);
        Assert.Equal(Weights(whole), Weights(resumed));
        Assert.Equal(whole.Inner.Config.ToJson(), resumed.Inner.Config.ToJson());
    }

    [Fact]
    public void Cancellation_before_the_first_step_leaves_the_weights_untouched()
    {
        var (x, y) = ApiData.Shapes(40, seed: 13);
        var model = RecurrentModel.Classifier(1, 3);
        var before = Weights(model);
        var result = model.Fit(SequenceDataset.ForClassification(x, y), new FitOptions(), new CancellationToken(canceled: true));
        Assert.Equal(FitStopReason.Cancelled, result.Reason);
        Assert.Equal(0, result.Steps);
        Assert.Equal(before, Weights(model));
    }

    [Fact]
    public void Save_then_load_predicts_the_same_bit_for_bit_with_its_task_options_vocabulary_and_statistics()
    {
        using var dir = new IO.TempDirectory();
        var (x, y) = ApiData.Summaries(60, seed: 14);
        var model = RecurrentModel.Regressor(2, 2, new RecurrentModelOptions { Cell = RecurrentCell.MinGru, HiddenSize = 8, Layers = 2 });
        model.Fit(SequenceDataset.ForRegression(x, y), new FitOptions { Epochs = 2 });
        string path = Path.Combine(dir.Path, "model.safetensors");
        model.Save(path);
        var loaded = RecurrentModel.Load(path);
        Assert.Equal(ModelTask.Regression, loaded.Task);
        Assert.Equal(RecurrentCell.MinGru, loaded.Options.Cell);
        Assert.Equal(2, loaded.Options.Layers);
        Assert.True(loaded.Options.Standardize);
        Assert.Equal(model.Predict(x), loaded.Predict(x));

        var vocabulary = TokenVocabulary.FromCharacters("abcd é");
        var lm = RecurrentModel.LanguageModel(vocabulary, new RecurrentModelOptions { Cell = RecurrentCell.RnnRelu, HiddenSize = 8 });
        lm.Save(path);
        var lmLoaded = RecurrentModel.Load(path);
        Assert.Equal(vocabulary.Tokens, lmLoaded.Vocabulary!.Tokens);
        Assert.Equal(RecurrentCell.RnnRelu, lmLoaded.Options.Cell);
        Assert.Equal(lm.PredictSteps(vocabulary.Encode("abé")), lmLoaded.PredictSteps(vocabulary.Encode("abé")));
    }

    [Fact]
    public void Bad_arguments_throw_argument_exceptions_naming_the_parameter()
    {
        Assert.Equal("features", Assert.ThrowsAny<ArgumentException>(() => RecurrentModel.Classifier(0, 2)).ParamName);
        Assert.Equal("classes", Assert.ThrowsAny<ArgumentException>(() => RecurrentModel.Classifier(2, 1)).ParamName);
        Assert.Equal("horizon", Assert.ThrowsAny<ArgumentException>(() => RecurrentModel.Forecaster(1, 0)).ParamName);
        Assert.Equal("HiddenSize", Assert.ThrowsAny<ArgumentException>(() => new RecurrentModelOptions { HiddenSize = 0 }).ParamName);
        Assert.Equal("Dropout", Assert.ThrowsAny<ArgumentException>(() => new RecurrentModelOptions { Dropout = 1 }).ParamName);
        Assert.Equal("BatchSize", Assert.ThrowsAny<ArgumentException>(() => new FitOptions { BatchSize = 0 }).ParamName);
        Assert.Equal("LearningRate", Assert.ThrowsAny<ArgumentException>(() => new FitOptions { LearningRate = double.NaN }).ParamName);
        var bidirectionalLm = Assert.ThrowsAny<ArgumentException>(() =>
            RecurrentModel.LanguageModel(10, new RecurrentModelOptions { Bidirectional = true }));
        Assert.Equal("options", bidirectionalLm.ParamName);
        Assert.Contains("bidirectional", bidirectionalLm.Message);

        var (x, y) = ApiData.Shapes(10, seed: 15);
        var data = SequenceDataset.ForClassification(x, y);
        Assert.Equal("train", Assert.ThrowsAny<ArgumentException>(() => RecurrentModel.Classifier(2, 3).Fit(data)).ParamName);
        Assert.Equal("train", Assert.ThrowsAny<ArgumentException>(() => RecurrentModel.Classifier(1, 3).Fit(null!)).ParamName);
        Assert.Equal("train", Assert.ThrowsAny<ArgumentException>(() => RecurrentModel.Regressor(1, 3).Fit(data)).ParamName);
        Assert.Equal("options", Assert.ThrowsAny<ArgumentException>(() =>
            RecurrentModel.Classifier(1, 3).Fit(data, new FitOptions { Patience = 2 })).ParamName);
        Assert.Equal("sequence", Assert.ThrowsAny<ArgumentException>(() => RecurrentModel.Classifier(1, 3).Predict(new[] { new[] { 1f, 2f } })).ParamName);
        Assert.Equal("sequence", Assert.ThrowsAny<ArgumentException>(() => RecurrentModel.Classifier(1, 3).Predict(new[] { new[] { float.NaN } })).ParamName);
        Assert.Equal("labels", Assert.ThrowsAny<ArgumentException>(() => SequenceDataset.ForClassification(x, y[..5])).ParamName);
        Assert.Equal("labels", Assert.ThrowsAny<ArgumentException>(() => SequenceDataset.ForClassification(x, [.. y.Select(_ => -1)])).ParamName);
        Assert.Equal("validationFraction", Assert.ThrowsAny<ArgumentException>(() => data.Split(1.5)).ParamName);
        Assert.Equal("tokens", Assert.ThrowsAny<ArgumentException>(() => RecurrentModel.LanguageModel(5).PredictSteps([1, 7])).ParamName);
        Assert.Equal("text", Assert.ThrowsAny<ArgumentException>(() => TokenVocabulary.FromCharacters("ab").Encode("abc")).ParamName);
        Assert.Throws<InvalidOperationException>(() => RecurrentModel.Classifier(1, 3, new RecurrentModelOptions { Bidirectional = true }).CreateStream());
        Assert.Throws<InvalidOperationException>(() => RecurrentModel.Classifier(1, 3).PredictSteps(x[0]));
    }

    /// <summary>An <see cref="IProgress{T}"/> that runs its action on the reporting thread (unlike <see cref="Progress{T}"/>).</summary>
    internal sealed class SyncProgress(Action<FitProgress> action) : IProgress<FitProgress>
    {
        public void Report(FitProgress value) => action(value);
    }
}
