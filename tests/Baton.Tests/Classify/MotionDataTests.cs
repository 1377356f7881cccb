using Baton.Data;

namespace Baton.Tests.Classify;

public sealed class MotionDataTests
{
    [Fact]
    public void An_arc_lands_on_the_highest_surface_it_falls_onto_within_its_span()
    {
        // From x = 0, y = 0: flight time 2·vy/g; x at landing = vx · that time.
        double g = MotionScene.Gravity;
        Assert.Equal(0, MotionScene.Landing(-g / 2, 3, 0, 1, 0).Label);                 // lands at x ≈ 0.61 m: floor
        Assert.Equal(MotionScene.ClassOf("shelf"), MotionScene.Landing(-g / 2, 7, 0, 3.7, 0).Label);  // falls through 1.6 m at x ≈ 4.22 m
        Assert.Equal(0, MotionScene.Landing(-g / 2, 7, 0, 3, 0).Label);                 // through 1.6 m at x ≈ 3.42, 0.78 m at x ≈ 3.93: both outside
    }

    [Fact]
    public void Quadratic_fit_recovers_an_exact_parabola()
    {
        double[] t = [0.1, 0.2, 0.35, 0.5, 0.61];
        double[] y = [.. t.Select(s => -4.9 * s * s + 3 * s + 0.25)];
        Assert.True(MotionScene.FitQuadratic(t, y, out double p, out double q, out double r));
        Assert.Equal(-4.9, p, 1e-9);
        Assert.Equal(3, q, 1e-9);
        Assert.Equal(0.25, r, 1e-9);
    }

    [Fact]
    public void Generated_jumps_are_fixed_by_the_seed_balanced_and_seen_for_part_of_their_flight()
    {
        var a = MotionGenerator.Generate(400, 7);
        var b = MotionGenerator.Generate(400, 7);
        Assert.Equal(a.Select(j => j.U.Sum()), b.Select(j => j.U.Sum()));
        Assert.NotEqual(a.Select(j => j.U.Sum()), MotionGenerator.Generate(400, 8).Select(j => j.U.Sum()));
        int[] counts = [.. Enumerable.Range(0, 4).Select(c => a.Count(j => j.Label == c))];
        Assert.All(counts, n => Assert.InRange(n, 70, 130));
        Assert.All(a, j =>
        {
            Assert.InRange(j.Fraction, 0.0, 1.0);
            Assert.True(j.Frames.Length >= 2, $"{j.Id}: {j.Frames.Length} frames");
            Assert.True(j.Frames.Zip(j.Frames.Skip(1)).All(p => p.Second > p.First));
        });
        Assert.Contains(a, j => j.Frames[^1] + 1 > j.Frames.Length);                   // some frames were dropped
        Assert.Contains(a, j => j.U.Zip(j.U.Skip(1)).Any(p => p.First == p.Second));   // some detections repeated
    }

    [Fact]
    public void The_physics_baseline_on_noise_free_points_names_the_true_landing()
    {
        double g = MotionScene.Gravity;
        // Launch from (0.5, 0.1) at vx = 3.7, vy = 4.6: falling through 0.78 m at t ≈ 0.754 s, x ≈ 3.29 m → table.
        var (label, landing) = MotionScene.Landing(-g / 2, 4.6, 0.1, 3.7, 0.5);
        Assert.Equal(MotionScene.ClassOf("table"), label);
        double[] t = [.. Enumerable.Range(0, 9).Select(k => k / 30.0)];
        double[] u = [.. t.Select(s => MotionScene.U0 + MotionScene.S * (0.5 + 3.7 * s))];
        double[] v = [.. t.Select(s => MotionScene.V0 - MotionScene.S * (0.1 + 4.6 * s - g / 2 * s * s))];
        Assert.True(t[^1] < 0.5 * landing);
        Assert.Equal(label, MotionScene.PhysicsLanding(t, u, v));
        Assert.Equal(0, MotionScene.LastPositionLanding(u[^1], v[^1]));
    }
}
