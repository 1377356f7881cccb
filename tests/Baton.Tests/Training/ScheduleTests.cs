using Baton.Training;

namespace Baton.Tests.Training;

public class ScheduleTests
{
    // PyTorch's schedulers compute recursively in float64; the closed forms agree to rounding.
    private const double RelativeTolerance = 1e-9;

    [Fact]
    public void Step_decay_and_cosine_with_warm_up_match_torch_lr_schedulers()
    {
        int cases = 0;
        foreach (var c in TrainingGolden.Json("schedules.json").EnumerateArray())
        {
            var o = c.GetProperty("options");
            var options = new ScheduleOptions
            {
                Kind = o.GetProperty("kind").GetString()!,
                StepSize = o.TryGetProperty("step_size", out var ss) ? ss.GetInt32() : 1000,
                Gamma = TrainingGolden.Double(o, "gamma", 0.1),
                WarmupSteps = o.TryGetProperty("warmup_steps", out var w) ? w.GetInt32() : 0,
                WarmupStartFactor = TrainingGolden.Double(o, "warmup_start_factor", 0.1),
                TotalSteps = o.TryGetProperty("total_steps", out var t) ? t.GetInt32() : 0,
                MinLearningRate = TrainingGolden.Double(o, "min_learning_rate", 0),
            };
            var schedule = new LearningRateSchedule(options, c.GetProperty("base").GetDouble(), c.GetProperty("max_steps").GetInt64());
            var rates = c.GetProperty("rates").EnumerateArray().Select(r => r.GetDouble()).ToArray();
            for (int s = 0; s < rates.Length; s++)
            {
                double expected = rates[s];
                Assert.True(Math.Abs(schedule.At(s) - expected) <= RelativeTolerance * Math.Max(expected, 1e-3),
                    $"{options.Kind} step {s}: {schedule.At(s)} vs torch {expected}");
            }
            cases++;
        }
        Assert.Equal(3, cases);
    }

    [Fact]
    public void Cosine_stays_at_the_minimum_after_the_total_steps()
    {
        var schedule = new LearningRateSchedule(new ScheduleOptions { Kind = "cosine", TotalSteps = 10, MinLearningRate = 0.01 }, 1.0, 10);
        Assert.Equal(0.01, schedule.At(10), 12);
        Assert.Equal(0.01, schedule.At(50), 12);
    }

    [Fact]
    public void Constant_schedule_returns_the_base_rate()
    {
        var schedule = new LearningRateSchedule(new ScheduleOptions(), 0.25, 100);
        Assert.Equal(0.25, schedule.At(0));
        Assert.Equal(0.25, schedule.At(99));
    }
}
