using Baton.Data;
using Baton.IO;
using Baton.Models;
using Baton.Numerics;
using Baton.Training;

namespace Baton.Tests.Classify;

public sealed class ClassifyModelTests
{
    // Softmax of float32 logits: the stream and the batched forward agree to float32 rounding.
    private const double ProbabilityTolerance = 1e-5;

    private static SequenceModel Model(bool bidirectional, string cell = "gru")
    {
        var config = new ModelConfig
        {
            Task = "classify", Cell = cell, Hidden = 6, InputSize = 2, OutputSize = 3, Bidirectional = bidirectional,
            Classes = ["a", "b", "c"], Features = ["x", "y"], FeatureMean = [0.5f, -1f], FeatureStd = [2f, 0.5f],
        };
        var model = new SequenceModel(config);
        model.ResetParameters(new Rng(3));
        return model;
    }

    private static float[] Sequence(int steps, int seed)
    {
        var rng = new Rng((ulong)seed);
        return [.. Enumerable.Range(0, steps * 2).Select(_ => rng.Uniform(-2, 2))];
    }

    [Theory]
    [InlineData(false, "gru")]
    [InlineData(false, "lstm")]
    [InlineData(true, "gru")]
    public void Early_prediction_after_step_t_equals_the_prediction_for_the_first_t_steps(bool bidirectional, string cell)
    {
        var predictor = new ClassifyPredictor(Model(bidirectional, cell));
        float[] x = Sequence(7, 11);
        double[] early = predictor.EarlyProbabilities(x);
        var prefixes = Enumerable.Range(1, 7).Select(t => x[..(t * 2)]).ToArray();
        double[] batched = predictor.Probabilities(prefixes);
        Assert.Equal(batched.Length, early.Length);
        for (int i = 0; i < early.Length; i++)
            Assert.Equal(batched[i], early[i], ProbabilityTolerance);
        for (int t = 0; t < 7; t++)
            Assert.Equal(1.0, early.Skip(t * 3).Take(3).Sum(), 1e-12);
    }

    [Fact]
    public void Batched_probabilities_of_mixed_lengths_equal_one_sequence_at_a_time()
    {
        var predictor = new ClassifyPredictor(Model(false));
        var sequences = new[] { Sequence(3, 1), Sequence(9, 2), Sequence(1, 3), Sequence(5, 4) };
        double[] together = predictor.Probabilities(sequences);
        for (int s = 0; s < sequences.Length; s++)
        {
            double[] alone = predictor.Probabilities([sequences[s]]);
            for (int c = 0; c < 3; c++)
                Assert.Equal(alone[c], together[s * 3 + c], ProbabilityTolerance);
        }
    }

    [Fact]
    public void A_classify_model_file_keeps_its_classes_and_scaling_and_an_older_config_without_them_still_loads()
    {
        var model = Model(false);
        string path = Path.Combine(Tests.Cli.CliRunner.TempDir(), "m.safetensors");
        ModelFile.Save(model, path);
        var loaded = ModelFile.Load(path);
        Assert.Equal(["a", "b", "c"], loaded.Config.Classes);
        Assert.Equal([0.5f, -1f], loaded.Config.FeatureMean);
        Assert.Equal(model.Parameters.Data, loaded.Parameters.Data);
        var old = ModelConfig.FromJson("{\"format\":\"baton/1\",\"task\":\"classify\",\"cell\":\"gru\",\"layers\":1,\"hidden\":4,\"input_size\":2,\"output_size\":3}");
        Assert.Empty(old.Classes);
        Assert.Empty(old.FeatureMean);
    }

    [Fact]
    public void The_recurrent_model_learns_an_order_task_that_the_pooled_baseline_cannot()
    {
        // Label = the sign of the FIRST step; the rest is noise with mean ~0, so neither the mean nor the last step tells.
        var rng = new Rng(9);
        var sequences = new List<float[]>();
        var labels = new List<int>();
        for (int i = 0; i < 240; i++)
        {
            int label = i % 2;
            int steps = 10 + rng.NextInt(6);
            var x = new float[steps];
            x[0] = label == 1 ? 1 : -1;
            for (int t = 1; t < steps; t++)
                x[t] = rng.Uniform(-1.5f, 1.5f);
            sequences.Add(x);
            labels.Add(label);
        }
        var config = new ModelConfig { Task = "classify", Cell = "gru", Hidden = 12, InputSize = 1, OutputSize = 2 };
        var train = Enumerable.Range(0, 160).Select(i => new SequenceExample(null, sequences[i], labels[i])).ToArray();
        var validation = Enumerable.Range(160, 40).Select(i => new SequenceExample(null, sequences[i], labels[i])).ToArray();
        var result = ClassifyTrainer.Train(config, train, validation, new ClassifyOptions { Cell = "gru", Hidden = 12, Epochs = 25, BatchSize = 16, LearningRate = 1e-2, Seed = 2 });
        var predictor = new ClassifyPredictor(result.Model);
        int[] test = [.. Enumerable.Range(200, 40)];
        int[] predicted = predictor.PredictScaled([.. test.Select(i => sequences[i])]);
        double recurrent = test.Select((i, k) => predicted[k] == labels[i] ? 1.0 : 0).Average();
        var pooled = PooledLogisticRegression.Fit([.. sequences.Take(200)], [.. labels.Take(200)], 1, 2);
        double baseline = test.Average(i => pooled.Predict(sequences[i]) == labels[i] ? 1.0 : 0);
        Assert.True(recurrent >= 0.95, $"recurrent accuracy {recurrent}");
        Assert.True(baseline <= 0.75, $"pooled accuracy {baseline}");
        Assert.Equal(25, result.History.Count);
        Assert.InRange(result.BestEpoch, 1, 25);
    }

    [Fact]
    public void Balanced_class_weights_are_n_over_classes_times_count()
    {
        var examples = new[] { 0, 0, 0, 1 }.Select(l => new SequenceExample(null, [0f], l)).ToArray();
        Assert.Equal([4f / 9, 4f / 3, 1f], ClassifyTrainer.BalancedWeights(examples, 3));
    }
}
