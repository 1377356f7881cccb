using System.Globalization;
using Baton.Cli.Cli;
using Baton.IO;
using Baton.Training;
using ScottPlot;

namespace Baton.Cli.Commands;

/// <summary>The charts of <c>baton classify train</c>: the confusion matrix and the training curve, written atomically.</summary>
internal static class ClassifyPlots
{
    /// <summary>Draws <paramref name="confusion"/> [true, predicted] as a heatmap with the count in each cell.</summary>
    public static void Confusion(string path, string title, string[] classes, int[,] confusion)
    {
        int C = classes.Length;
        var values = new double[C, C];
        int max = 1;
        for (int r = 0; r < C; r++)
        {
            for (int c = 0; c < C; c++)
            {
                values[r, c] = confusion[r, c];
                max = Math.Max(max, confusion[r, c]);
            }
        }
        var plot = new Plot();
        plot.Title(title);
        plot.XLabel("predicted class");
        plot.YLabel("true class");
        var map = plot.Add.Heatmap(values);
        map.Colormap = new ScottPlot.Colormaps.Viridis();
        map.Rectangle = new CoordinateRect(0, C, 0, C);       // row 0 at the top
        for (int r = 0; r < C; r++)
        {
            for (int c = 0; c < C; c++)
            {
                var text = plot.Add.Text(confusion[r, c].ToString(CultureInfo.InvariantCulture), c + 0.5, C - r - 0.5);
                text.LabelAlignment = Alignment.MiddleCenter;
                text.LabelFontSize = C > 12 ? 10 : 16;
                text.LabelFontColor = confusion[r, c] > max / 2 ? Colors.Black : Colors.White;
            }
        }
        double[] ticks = [.. Enumerable.Range(0, C).Select(i => i + 0.5)];
        plot.Axes.Bottom.SetTicks(ticks, classes);
        plot.Axes.Left.SetTicks([.. ticks.Reverse()], classes);
        plot.Axes.SetLimits(0, C, 0, C);
        Save(plot, path, 720, 640);
    }

    /// <summary>Draws the mean training loss, the validation loss and the validation accuracy of every epoch.</summary>
    public static void Training(string path, IReadOnlyList<ClassifyTrainer.Epoch> history)
    {
        double[] x = [.. history.Select(e => (double)e.Number)];
        Plots.Lines(path, "Training: loss (nats per sequence) and validation accuracy", "epoch", "loss / accuracy",
        [
            new("training loss", x, [.. history.Select(e => e.TrainLoss)]),
            new("validation loss", x, [.. history.Select(e => e.ValidationLoss ?? double.NaN)]),
            new("validation accuracy", x, [.. history.Select(e => e.ValidationAccuracy ?? double.NaN)]),
        ]);
    }

    private static void Save(Plot plot, string path, int width, int height)
    {
        byte[] png = plot.GetImageBytes(width, height, ImageFormat.Png);
        AtomicFile.Write(path, s => s.Write(png));
    }
}
