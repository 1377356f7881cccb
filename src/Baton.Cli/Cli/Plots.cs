using Baton.IO;
using ScottPlot;

namespace Baton.Cli.Cli;

/// <summary>PNG charts for the commands (ScottPlot), written atomically.</summary>
public static class Plots
{
    /// <summary>
    /// One named line of a chart. Lines of the same <paramref name="Group"/> share a colour (null: one colour each);
    /// <paramref name="Pattern"/> tells lines of one group apart.
    /// </summary>
    public sealed record Series(string Label, double[] X, double[] Y, int? Group = null, LinePattern? Pattern = null);

    /// <summary>
    /// Draws <paramref name="series"/> as lines. With <paramref name="logY"/> (<paramref name="logX"/>), y (x) is drawn
    /// on a log10 axis (points with values ≤ 0 there are dropped from the drawing, not from the data).
    /// </summary>
    public static void Lines(string path, string title, string xLabel, string yLabel, IReadOnlyList<Series> series,
        bool logY = false, int width = 900, int height = 540, bool logX = false)
    {
        var plot = new Plot();
        plot.Title(title);
        plot.XLabel(logX ? $"{xLabel} (log10)" : xLabel);
        plot.YLabel(logY ? $"{yLabel} (log10)" : yLabel);
        var palette = new ScottPlot.Palettes.Category10();
        foreach (var s in series)
        {
            var xs = new List<double>();
            var ys = new List<double>();
            for (int i = 0; i < s.X.Length; i++)
            {
                if (Axis(s.X[i], logX) is not { } x || Axis(s.Y[i], logY) is not { } y)
                    continue;
                xs.Add(x);
                ys.Add(y);
            }
            var line = plot.Add.ScatterLine(xs.ToArray(), ys.ToArray());
            line.LegendText = s.Label;
            line.MarkerSize = xs.Count > 60 ? 0 : 4;
            if (s.Group is { } group)
                line.Color = palette.GetColor(group);
            if (s.Pattern is { } pattern)
                line.LinePattern = pattern;
        }
        if (series.Count > 8)
            plot.ShowLegend(Edge.Right);   // beside the axes: a long legend inside would hide the last points
        else if (series.Count > 1)
            plot.ShowLegend();
        Save(plot, path, width, height);
    }

    // The drawn coordinate: log10 of it on a log axis, null where it cannot be drawn.
    private static double? Axis(double value, bool log)
    {
        if (!double.IsFinite(value))
            return null;
        if (!log)
            return value;
        return value > 0 ? Math.Log10(value) : null;
    }

    /// <summary>Draws <paramref name="values"/> [rows, columns] as a heatmap (row 0 at the top).</summary>
    public static void Heatmap(string path, string title, string xLabel, string yLabel, double[,] values,
        int width = 1000, int height = 600)
    {
        var plot = new Plot();
        plot.Title(title);
        plot.XLabel(xLabel);
        plot.YLabel(yLabel);
        var map = plot.Add.Heatmap(values);
        map.Colormap = new ScottPlot.Colormaps.Viridis();
        plot.Add.ColorBar(map);
        Save(plot, path, width, height);
    }

    private static void Save(Plot plot, string path, int width, int height)
    {
        byte[] png = plot.GetImageBytes(width, height, ImageFormat.Png);
        AtomicFile.Write(path, s => s.Write(png));
    }
}
