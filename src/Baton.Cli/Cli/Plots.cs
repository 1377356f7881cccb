using Baton.IO;
using ScottPlot;

namespace Baton.Cli.Cli;

/// <summary>PNG charts for the commands (ScottPlot), written atomically.</summary>
public static class Plots
{
    /// <summary>One named line of a chart.</summary>
    public sealed record Series(string Label, double[] X, double[] Y);

    /// <summary>
    /// Draws <paramref name="series"/> as lines. With <paramref name="logY"/>, y is drawn on a log10
    /// axis (values ≤ 0 are dropped from the drawing, not from the data).
    /// </summary>
    public static void Lines(string path, string title, string xLabel, string yLabel, IReadOnlyList<Series> series,
        bool logY = false, int width = 900, int height = 540)
    {
        var plot = new Plot();
        plot.Title(title);
        plot.XLabel(xLabel);
        plot.YLabel(logY ? $"{yLabel} (log10)" : yLabel);
        foreach (var s in series)
        {
            var xs = new List<double>();
            var ys = new List<double>();
            for (int i = 0; i < s.X.Length; i++)
            {
                double y = s.Y[i];
                if (logY)
                {
                    if (!(y > 0) || !double.IsFinite(y))
                        continue;
                    y = Math.Log10(y);
                }
                else if (!double.IsFinite(y))
                {
                    continue;
                }
                xs.Add(s.X[i]);
                ys.Add(y);
            }
            var line = plot.Add.ScatterLine(xs.ToArray(), ys.ToArray());
            line.LegendText = s.Label;
            line.MarkerSize = xs.Count > 60 ? 0 : 4;
        }
        if (series.Count > 1)
            plot.ShowLegend();
        Save(plot, path, width, height);
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
