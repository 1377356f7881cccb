using System.Globalization;
using Baton.Numerics;

namespace Baton.Data;

/// <summary>
/// The built-in <c>motion</c> data set, "where the cat lands": generated jumps in the <see cref="MotionScene"/> room. Each jump
/// first draws its landing class uniformly (so the classes are balanced), then draws start spot x0 ∈ [0, 1.5] m, y0 ∈ [0, 0.3] m,
/// speed ∈ [3, 7.5] m/s and angle ∈ [35°, 80°] until the arc y = y0 + v·sin θ·t − g·t²/2, x = x0 + v·cos θ·t lands there.
/// The camera runs at 25 or 30 frames/s with a random phase, sees only the first part of the flight (a fraction drawn
/// uniformly from [<see cref="MinFraction"/>, <see cref="MaxFraction"/>], at least three frames), adds N(0, σ²) pixel noise
/// (σ = <see cref="NoisePixels"/>), and misses a detection with probability <see cref="MissRate"/> per frame after the first:
/// half of the misses drop the frame (a gap in the frame numbers), half repeat the previous detection. The seed fixes everything.
/// </summary>
internal static class MotionGenerator
{
    /// <summary>Smallest part of the flight observed.</summary>
    public const double MinFraction = 0.2;

    /// <summary>Largest part of the flight observed.</summary>
    public const double MaxFraction = 0.9;

    /// <summary>Camera noise, pixels (standard deviation of each coordinate).</summary>
    public const double NoisePixels = 1.5;

    /// <summary>Probability that a frame's detection is missed.</summary>
    public const double MissRate = 0.08;

    /// <summary>Column names of the long-format table: id, frame, camera time, pixel position, label.</summary>
    public static readonly string[] Columns = ["jump", "frame", "t", "x_px", "y_px", "lands"];

    /// <summary>The feature columns a model reads.</summary>
    public static readonly string[] Features = ["t", "x_px", "y_px"];

    /// <summary>Generates <paramref name="count"/> jumps from <paramref name="seed"/>.</summary>
    public static CatJump[] Generate(int count, ulong seed)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1, nameof(count));
        var rng = new Rng(seed);
        var jumps = new CatJump[count];
        for (int j = 0; j < count; j++)
            jumps[j] = One(rng, j, rng.NextInt(MotionScene.Classes.Length));
        return jumps;
    }

    private static CatJump One(Rng rng, int index, int target)
    {
        double x0, y0, vx, vy, landTime;
        int label;
        do
        {
            x0 = 1.5 * rng.NextDouble();
            y0 = 0.3 * rng.NextDouble();
            double speed = 3 + 4.5 * rng.NextDouble();
            double angle = (35 + 45 * rng.NextDouble()) * Math.PI / 180;
            vx = speed * Math.Cos(angle);
            vy = speed * Math.Sin(angle);
            (label, landTime) = MotionScene.Landing(-MotionScene.Gravity / 2, vy, y0, vx, x0);
        }
        while (label != target);

        double fps = rng.NextInt(2) == 0 ? 25 : 30;
        double phase = rng.NextDouble() / fps;                // jump time of frame 0
        double fraction = MinFraction + (MaxFraction - MinFraction) * rng.NextDouble();
        int lastFrame = Math.Max(2, (int)Math.Floor((fraction * landTime - phase) * fps));
        while (lastFrame > 2 && phase + lastFrame / fps >= landTime)
            lastFrame--;
        var frames = new List<int>();
        var time = new List<double>();
        var u = new List<double>();
        var v = new List<double>();
        for (int k = 0; k <= lastFrame; k++)
        {
            double t = phase + k / fps;
            double x = x0 + vx * t;
            double y = y0 + vy * t - MotionScene.Gravity / 2 * t * t;
            double pu = MotionScene.U0 + MotionScene.S * x + NoisePixels * rng.NextNormal();
            double pv = MotionScene.V0 - MotionScene.S * y + NoisePixels * rng.NextNormal();
            if (k > 0 && rng.NextDouble() < MissRate)
            {
                if (rng.NextInt(2) == 0)
                    continue;                                 // dropped: a gap in the frames
                (pu, pv) = (u[^1], v[^1]);                    // stale: the previous detection again
            }
            frames.Add(k);
            time.Add(k / fps);
            u.Add(pu);
            v.Add(pv);
        }
        string id = "j" + index.ToString("D5", CultureInfo.InvariantCulture);
        return new CatJump(id, label, (phase + frames[^1] / fps) / landTime, [.. frames], [.. time], [.. u], [.. v]);
    }

    /// <summary>The jumps as a long-format CSV table (columns <see cref="Columns"/>), numbers with the invariant culture.</summary>
    public static CsvTable ToTable(IReadOnlyList<CatJump> jumps, string source = "motion")
    {
        ArgumentNullException.ThrowIfNull(jumps);
        var rows = new List<string[]>();
        var lines = new List<int>();
        foreach (var jump in jumps)
        {
            for (int k = 0; k < jump.Frames.Length; k++)
            {
                rows.Add([
                    jump.Id,
                    jump.Frames[k].ToString(CultureInfo.InvariantCulture),
                    jump.Time[k].ToString("0.#####", CultureInfo.InvariantCulture),
                    jump.U[k].ToString("0.##", CultureInfo.InvariantCulture),
                    jump.V[k].ToString("0.##", CultureInfo.InvariantCulture),
                    MotionScene.Classes[jump.Label],
                ]);
                lines.Add(rows.Count + 1);
            }
        }
        return new CsvTable(source, Columns, rows, lines);
    }
}
