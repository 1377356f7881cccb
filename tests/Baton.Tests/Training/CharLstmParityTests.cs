using Baton.IO;
using Baton.Training;

namespace Baton.Tests.Training;

public class CharLstmParityTests
{
    // Issue 4: every step's loss within 1e-4 relative, final weights within 1e-3 of PyTorch.
    private const double LossRelativeTolerance = 1e-4;
    private const float WeightTolerance = 1e-3f;

    [Fact]
    public void Twenty_adam_steps_with_clipping_reproduce_pytorch_losses_and_weights()
    {
        var run = TrainingGolden.Json("char_lstm_run.json");
        var model = ModelFile.Load(TrainingGolden.PathOf("char_lstm_init.safetensors"));
        var data = new TokenStreams(TrainingGolden.Ints(run.GetProperty("corpus")), null,
            run.GetProperty("batch").GetInt32(), run.GetProperty("seq_length").GetInt32());
        var options = new TrainerOptions
        {
            MaxSteps = run.GetProperty("steps").GetInt32(),
            Optimizer = new OptimizerOptions { Kind = "adam", LearningRate = run.GetProperty("learning_rate").GetDouble() },
            ClipNorm = run.GetProperty("max_norm").GetDouble(),
            InitializeParameters = false,
        };
        var trainer = new Trainer(model, data, options);
        var losses = new List<double>();
        var norms = new List<double>();
        trainer.Progress = p =>
        {
            losses.Add(p.Loss);
            norms.Add(p.GradientNorm);
        };
        var result = trainer.Run();
        Assert.Equal(StopReason.Completed, result.Reason);

        var expectedLosses = run.GetProperty("losses").EnumerateArray().Select(e => e.GetDouble()).ToArray();
        var expectedNorms = run.GetProperty("grad_norms").EnumerateArray().Select(e => e.GetDouble()).ToArray();
        Assert.Equal(expectedLosses.Length, losses.Count);
        for (int s = 0; s < losses.Count; s++)
        {
            Assert.True(Math.Abs(losses[s] - expectedLosses[s]) <= LossRelativeTolerance * expectedLosses[s],
                $"step {s + 1}: loss {losses[s]} vs torch {expectedLosses[s]}");
            Assert.True(Math.Abs(norms[s] - expectedNorms[s]) <= 1e-3 * expectedNorms[s],
                $"step {s + 1}: gradient norm {norms[s]} vs torch {expectedNorms[s]}");
        }

        var final = SafeTensorsFile.Read(TrainingGolden.PathOf("char_lstm_final.safetensors"));
        foreach (var tensor in model.Parameters.Tensors)
        {
            var expected = final.ReadFloat32(tensor.Name);
            var actual = model.Parameters.Value(tensor);
            for (int i = 0; i < expected.Length; i++)
                Assert.True(Math.Abs(actual[i] - expected[i]) <= WeightTolerance, $"{tensor.Name}[{i}]: {actual[i]} vs torch {expected[i]}");
        }
    }
}
