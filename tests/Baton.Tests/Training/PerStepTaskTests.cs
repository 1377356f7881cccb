using Baton.Models;
using Baton.Numerics;
using Baton.Training;

namespace Baton.Tests.Training;

public class PerStepTaskTests
{
    [Fact]
    public void Bidirectional_token_tagger_gradients_match_finite_differences_with_variable_lengths()
    {
        var model = new SequenceModel(new ModelConfig
        {
            Task = "classify_steps", Cell = "gru", Layers = 2, Hidden = 4, Embedding = 3, Bidirectional = true, OutputSize = 3,
            Vocab = ["a", "b", "c", "d"],
        }, new Rng(31));
        int T = 5, B = 3;
        int[] ids = [.. Enumerable.Range(0, T * B).Select(i => (i * 5 + 2) % 4)];
        int[] lengths = [5, 2, 4];
        var ws = model.CreateWorkspace(T, B);
        SequenceModelTests.CheckGradients(model, w => model.ForwardTokens(w, ids, T, B, lengths), ws);
    }

    [Fact]
    public void Per_step_regression_gradients_match_finite_differences_with_dropout()
    {
        var model = new SequenceModel(new ModelConfig
        {
            Task = "forecast_steps", Cell = "lstm", Layers = 2, Hidden = 4, InputSize = 2, OutputSize = 2, Dropout = 0.25f,
        }, new Rng(32));
        int T = 4, B = 2;
        var rng = new Rng(5);
        float[] x = [.. Enumerable.Range(0, T * B * 2).Select(_ => rng.Uniform(-1, 1))];
        var ws = model.CreateWorkspace(T, B);
        SequenceModelTests.CheckGradients(model, w => model.ForwardFeatures(w, x, T, B, [4, 3], training: true, rng: new Rng(77)), ws);
    }

    [Fact]
    public void Per_step_outputs_past_a_sequence_end_read_a_zero_state_and_the_rest_equal_a_pass_over_that_sequence_alone()
    {
        var model = new SequenceModel(new ModelConfig { Task = "forecast_steps", Cell = "lstm", Hidden = 5, InputSize = 2, OutputSize = 3 }, new Rng(33));
        int T = 4, B = 2;
        var rng = new Rng(6);
        float[] x = [.. Enumerable.Range(0, T * B * 2).Select(_ => rng.Uniform(-1, 1))];
        var both = model.ForwardFeatures(model.CreateWorkspace(T, B), x, T, B, [4, 2]).ToArray();
        float[] second = [.. Enumerable.Range(0, 2).SelectMany(t => x.AsSpan((t * B + 1) * 2, 2).ToArray())];
        var alone = model.ForwardFeatures(model.CreateWorkspace(2, 1), second, 2, 1).ToArray();
        for (int t = 0; t < 2; t++)
            Assert.Equal(alone.AsSpan(t * 3, 3).ToArray(), both.AsSpan((t * B + 1) * 3, 3).ToArray());
        var bias = model.Parameters.Value(model.Parameters["head.bias"]).ToArray();
        for (int t = 2; t < T; t++)
            Assert.Equal(bias, both.AsSpan((t * B + 1) * 3, 3).ToArray());
    }

    [Fact]
    public void The_per_step_regression_loss_counts_only_the_steps_inside_each_sequence()
    {
        var config = new ModelConfig { Task = "forecast_steps", Cell = "gru", Hidden = 3, InputSize = 1, OutputSize = 1 };
        var model = new SequenceModel(config, new Rng(34));
        SequenceExample[] examples =
        [
            new(null, [0.5f, -0.25f, 1f], StepTargets: [1f, 2f, 3f]),
            new(null, [0.75f], StepTargets: [-1f]),
        ];
        var data = new SequenceExamples(examples, examples, 1, 1, batchSize: 2, seed: 1);
        var trainer = new Trainer(model, data, new TrainerOptions { MaxSteps = 1, InitializeParameters = false });
        double loss = trainer.Evaluate();
        double sum = 0;
        foreach (var e in examples)
        {
            int T = e.Features!.Length;
            var y = model.ForwardFeatures(model.CreateWorkspace(T, 1), e.Features, T, 1).ToArray();
            for (int t = 0; t < T; t++)
                sum += Math.Pow(y[t] - e.StepTargets![t], 2);
        }
        Assert.Equal(sum / 4, loss, 1e-6);
    }
}
