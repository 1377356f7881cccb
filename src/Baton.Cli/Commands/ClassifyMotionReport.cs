using System.Globalization;
using System.Text.Json.Nodes;
using Baton.Cli.Cli;
using Baton.Data;

namespace Baton.Cli.Commands;

/// <summary>
/// The built-in motion data's report: test accuracy of the recurrent model, the physics baseline (a least-squares parabola
/// through the observed points, extrapolated to the surfaces' heights) and the last-position baseline, overall and by the
/// fraction of the flight observed, in bins of 0.1 from <see cref="MotionGenerator.MinFraction"/> to <see cref="MotionGenerator.MaxFraction"/>.
/// The baselines read the same rows as the model (t, x_px, y_px of data.csv) and know the room, which the model must learn.
/// </summary>
internal sealed class MotionReport
{
    /// <summary>One fraction bin: [From, To), its test sequences and each method's accuracy (NaN when empty).</summary>
    internal sealed record Bin(double From, double To, int Sequences, double Model, double Physics, double LastPosition);

    private MotionReport(Bin[] bins, double physics, double lastPosition)
    {
        Bins = bins;
        PhysicsAccuracy = physics;
        LastPositionAccuracy = lastPosition;
    }

    /// <summary>The bins, in order.</summary>
    public Bin[] Bins { get; }

    /// <summary>Physics baseline accuracy over every test sequence.</summary>
    public double PhysicsAccuracy { get; }

    /// <summary>Last-position baseline accuracy over every test sequence.</summary>
    public double LastPositionAccuracy { get; }

    /// <summary>Scores the test sequences <paramref name="test"/> (indices into <paramref name="data"/>, whose order is that of <paramref name="jumps"/>).</summary>
    public static MotionReport Create(LabeledSequences data, CatJump[] jumps, int[] test, int[] labels, int[] predicted)
    {
        int I = data.InputSize;
        int[] physics = new int[test.Length];
        int[] last = new int[test.Length];
        for (int k = 0; k < test.Length; k++)
        {
            float[] x = data.Features[test[k]];
            int T = x.Length / I;
            var t = new double[T];
            var u = new double[T];
            var v = new double[T];
            for (int s = 0; s < T; s++)
                (t[s], u[s], v[s]) = (x[s * I], x[s * I + 1], x[s * I + 2]);
            physics[k] = MotionScene.PhysicsLanding(t, u, v);
            last[k] = MotionScene.LastPositionLanding(u[^1], v[^1]);
        }
        double Accuracy(int[] guess, IEnumerable<int> which)
        {
            int[] members = [.. which];
            return members.Length == 0 ? double.NaN : members.Count(k => guess[k] == labels[test[k]]) / (double)members.Length;
        }
        var bins = new List<Bin>();
        for (double from = MotionGenerator.MinFraction; from < MotionGenerator.MaxFraction - 1e-9; from += 0.1)
        {
            double low = Math.Round(from, 2), high = Math.Round(from + 0.1, 2);
            bool last_ = high >= MotionGenerator.MaxFraction - 1e-9;
            var members = Enumerable.Range(0, test.Length).Where(k =>
            {
                double f = jumps[test[k]].Fraction;
                return f >= low && (f < high || (last_ && f <= 1));
            }).ToArray();
            bins.Add(new Bin(low, high, members.Length, Accuracy(predicted, members), Accuracy(physics, members), Accuracy(last, members)));
        }
        var all = Enumerable.Range(0, test.Length);
        return new MotionReport([.. bins], Accuracy(physics, all), Accuracy(last, all));
    }

    /// <summary>Prints the table of accuracy against the fraction observed.</summary>
    public void Print(Output output)
    {
        output.Line("accuracy against the fraction of the flight observed (test sequences):");
        output.Line($"{"fraction",-12}{"sequences",10}{"model",9}{"physics",9}{"last pos.",11}");
        foreach (var bin in Bins)
            output.Line(string.Create(CultureInfo.InvariantCulture, $"{$"{bin.From:F1}–{bin.To:F1}",-12}{bin.Sequences,10}") +
                $"{Cell(bin.Model),9}{Cell(bin.Physics),9}{Cell(bin.LastPosition),11}");
    }

    private static string Cell(double value) => double.IsNaN(value) ? "–" : ClassifyTrainCommand.Percent(value);

    /// <summary>The bins as JSON: from, to, sequences and the three accuracies (null when a bin is empty).</summary>
    public JsonArray Json() => new([.. Bins.Select(b => (JsonNode)new JsonObject
    {
        ["from"] = b.From,
        ["to"] = b.To,
        ["sequences"] = b.Sequences,
        ["model"] = Number(b.Model),
        ["physics"] = Number(b.Physics),
        ["last_position"] = Number(b.LastPosition),
    })]);

    private static JsonNode? Number(double value) => double.IsNaN(value) ? null : JsonValue.Create(value);

    /// <summary>Draws accuracy (%) against the fraction observed, one line per method, with chance (25%) for reference.</summary>
    public void Plot(string path)
    {
        double[] x = [.. Bins.Select(b => (b.From + b.To) / 2)];
        Plots.Lines(path, "Where the cat lands: test accuracy against the part of the flight seen", "fraction of the flight observed",
            "accuracy (%)",
        [
            new("recurrent model", x, [.. Bins.Select(b => 100 * b.Model)]),
            new("physics: parabola fit", x, [.. Bins.Select(b => 100 * b.Physics)]),
            new("last position", x, [.. Bins.Select(b => 100 * b.LastPosition)]),
            new("chance (4 classes)", x, [.. Bins.Select(_ => 25.0)]),
        ]);
    }
}
