using Baton.Layers;
using Baton.Training;

namespace Baton.Tests.Training;

public class OptimizerTests
{
    // float32 update formulas as PyTorch's; differences come only from operation order / FMA in torch's kernels.
    private const float RelativeTolerance = 2e-6f;
    private const float AbsoluteTolerance = 1e-7f;

    private static OptimizerOptions OptionsOf(System.Text.Json.JsonElement o) => new()
    {
        Kind = o.GetProperty("kind").GetString()!,
        LearningRate = o.GetProperty("learning_rate").GetDouble(),
        WeightDecay = o.TryGetProperty("weight_decay", out var wd) ? wd.GetDouble() : null,
        Momentum = TrainingGolden.Double(o, "momentum", 0),
        Dampening = TrainingGolden.Double(o, "dampening", 0),
        Nesterov = TrainingGolden.Bool(o, "nesterov"),
        Beta1 = TrainingGolden.Double(o, "beta1", 0.9),
        Beta2 = TrainingGolden.Double(o, "beta2", 0.999),
        Eps = TrainingGolden.Double(o, "eps", o.GetProperty("kind").GetString() == "rmsprop" ? 1e-8 : 1e-8),
        Amsgrad = TrainingGolden.Bool(o, "amsgrad"),
        Alpha = TrainingGolden.Double(o, "alpha", 0.99),
        Centered = TrainingGolden.Bool(o, "centered"),
    };

    private static Parameters SplitParameters(int count)
    {
        // Two tensors, to show the flat loop is indifferent to tensor boundaries.
        var p = new Parameters();
        p.Add("a.weight", 5);
        p.Add("b.weight", count - 5);
        p.Freeze();
        return p;
    }

    [Fact]
    public void Every_optimizer_matches_torch_optim_step_by_step()
    {
        var cases = TrainingGolden.Json("optimizers.json");
        int checkedCases = 0;
        foreach (var c in cases.EnumerateArray())
        {
            var options = OptionsOf(c.GetProperty("options"));
            var initial = TrainingGolden.Floats(c.GetProperty("initial"));
            var p = SplitParameters(initial.Length);
            initial.CopyTo(p.Data, 0);
            var optimizer = Optimizer.Create(options, p);
            int step = 0;
            foreach (var s in c.GetProperty("steps").EnumerateArray())
            {
                step++;
                TrainingGolden.Floats(s.GetProperty("grad")).CopyTo(p.Grad, 0);
                optimizer.Step();
                var expected = TrainingGolden.Floats(s.GetProperty("param"));
                for (int i = 0; i < expected.Length; i++)
                {
                    float tolerance = AbsoluteTolerance + RelativeTolerance * Math.Abs(expected[i]);
                    Assert.True(Math.Abs(p.Data[i] - expected[i]) <= tolerance,
                        $"{options}: step {step}, element {i}: {p.Data[i]} vs torch {expected[i]}");
                }
            }
            Assert.Equal(step, optimizer.StepCount);
            checkedCases++;
        }
        Assert.Equal(11, checkedCases);
    }

    [Fact]
    public void Sgd_without_momentum_is_p_minus_lr_times_grad()
    {
        var p = SplitParameters(6);
        float[] start = [1, -2, 3, 0.5f, 0, 7];
        float[] grad = [0.1f, 0.2f, -0.3f, 1, 2, -1];
        start.CopyTo(p.Data, 0);
        grad.CopyTo(p.Grad, 0);
        new Sgd(p, new OptimizerOptions { Kind = "sgd", LearningRate = 0.5 }).Step();
        for (int i = 0; i < 6; i++)
            Assert.Equal(start[i] - 0.5f * grad[i], p.Data[i]);
    }

    [Fact]
    public void Unknown_optimizer_is_rejected_by_name()
    {
        var p = SplitParameters(6);
        var e = Assert.Throws<ArgumentException>(() => Optimizer.Create(new OptimizerOptions { Kind = "adagrad" }, p));
        Assert.Contains("adagrad", e.Message);
    }
}
