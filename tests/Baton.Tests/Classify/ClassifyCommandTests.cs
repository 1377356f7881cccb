using System.Globalization;
using System.Text;
using Baton.Data;
using Baton.Numerics;
using Baton.Tests.Cli;

namespace Baton.Tests.Classify;

public sealed class ClassifyCommandTests
{
    private static readonly string[] Tiny = ["--hidden", "8", "--epochs", "3", "--batch", "16"];

    /// <summary>
    /// A long-format CSV of <paramref name="sequences"/> sequences: class "rise" climbs, "fall" drops, "flat" stays; 4–9 steps,
    /// rows of different sequences interleaved and each sequence's rows in reverse time order (so --time must sort them).
    /// </summary>
    private static string WriteTrends(string dir, int sequences = 60)
    {
        var rng = new Rng(4);
        string[] classes = ["rise", "fall", "flat"];
        var rows = new List<(int Order, string Line)>();
        for (int s = 0; s < sequences; s++)
        {
            int label = s % 3;
            int steps = 4 + rng.NextInt(6);
            double slope = label == 0 ? 1 : label == 1 ? -1 : 0;
            for (int t = steps - 1; t >= 0; t--)
            {
                double v = slope * t + 0.3 * rng.NextNormal();
                rows.Add((rng.NextInt(1 << 20), string.Create(CultureInfo.InvariantCulture, $"s{s},{t},{v:F4},{rng.NextNormal():F4},{classes[label]}")));
            }
        }
        var text = new StringBuilder("seq,step,value,noise,kind\n");
        foreach (var row in rows.OrderBy(r => r.Order))
            text.Append(row.Line).Append('\n');
        string path = Path.Combine(dir, "trends.csv");
        File.WriteAllText(path, text.ToString());
        return path;
    }

    private static CliRunner.Result Train(string csv, string outDir, params string[] extra) =>
        CliRunner.Run([.. new[] { "classify", "train", "--csv", csv, "--id", "seq", "--label", "kind", "--time", "step", "--out", outDir, "--json" }, .. Tiny, .. extra]);

    [Fact]
    public void Train_with_json_reports_test_baselines_and_classes_and_writes_every_output()
    {
        string dir = CliRunner.TempDir();
        string outDir = Path.Combine(dir, "run");
        var result = Train(WriteTrends(dir), outDir);
        Assert.True(result.ExitCode == 0, result.Stderr);
        var json = result.Json.AsObject();
        Assert.Equal(["test", "baselines", "classes", "best_epoch", "model", "metrics", "device", "train_loss", "validation_loss"], json.Select(p => p.Key));
        Assert.Equal(["accuracy", "macro_f1", "sequences"], json["test"]!.AsObject().Select(p => p.Key));
        Assert.Equal(["majority", "pooled"], json["baselines"]!.AsObject().Select(p => p.Key));
        Assert.Equal(["fall", "flat", "rise"], json["classes"]!.AsArray().Select(c => (string)c!));
        Assert.Equal(9, (int)json["test"]!["sequences"]!);       // 15% of 20 per class, rounded: 3 × 3
        Assert.Equal(1.0 / 3, (double)json["baselines"]!["majority"]!["accuracy"]!, 1e-12);
        foreach (string file in new[] { "model.safetensors", "metrics.json", "confusion.png", "training.png" })
            Assert.True(new FileInfo(Path.Combine(outDir, file)).Length > 500, file);
        var metrics = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(Path.Combine(outDir, "metrics.json")))!;
        Assert.Equal(3, metrics["history"]!.AsArray().Count);
        Assert.Equal(9, metrics["confusion"]!.AsArray().Sum(row => row!.AsArray().Sum(n => (int)n!)));
        Assert.Equal(["value", "noise"], metrics["features"]!.AsArray().Select(c => (string)c!));
        Assert.Contains("confusion matrix (rows: true class", result.Stderr);
    }

    [Fact]
    public void The_same_seed_trains_the_same_model()
    {
        string dir = CliRunner.TempDir();
        string csv = WriteTrends(dir);
        var a = Train(csv, Path.Combine(dir, "a"), "--seed", "3");
        var b = Train(csv, Path.Combine(dir, "b"), "--seed", "3");
        Assert.True(a.ExitCode == 0 && b.ExitCode == 0, a.Stderr + b.Stderr);
        Assert.Equal(File.ReadAllBytes(Path.Combine(dir, "a", "model.safetensors")), File.ReadAllBytes(Path.Combine(dir, "b", "model.safetensors")));
        Assert.Equal((double)a.Json["baselines"]!["pooled"]!["accuracy"]!, (double)b.Json["baselines"]!["pooled"]!["accuracy"]!);
    }

    [Fact]
    public void Predict_writes_one_row_per_sequence_and_early_rows_whose_last_step_is_the_final_prediction()
    {
        string dir = CliRunner.TempDir();
        string csv = WriteTrends(dir, 30);
        var trained = Train(csv, Path.Combine(dir, "run"));
        Assert.True(trained.ExitCode == 0, trained.Stderr);
        string preds = Path.Combine(dir, "preds.csv");
        var result = CliRunner.Run("classify", "predict", "--model", (string)trained.Json["model"]!, "--csv", csv, "--out", preds, "--early", "--json");
        Assert.True(result.ExitCode == 0, result.Stderr);
        Assert.Equal(30, (int)result.Json["sequences"]!);
        Assert.InRange((double)result.Json["accuracy"]!, 0.0, 1.0);
        var table = CsvTable.Load(preds);
        Assert.Equal(["seq", "label", "p_fall", "p_flat", "p_rise"], table.Columns);
        Assert.Equal(30, table.Rows.Count);
        foreach (var row in table.Rows)
            Assert.Equal(1.0, row.Skip(2).Sum(c => double.Parse(c, CultureInfo.InvariantCulture)), 1e-5);
        var early = CsvTable.Load(Path.Combine(dir, "preds.early.csv"));
        Assert.Equal(["seq", "step", "label", "p_fall", "p_flat", "p_rise"], early.Columns);
        var source = CsvTable.Load(csv);
        Assert.Equal(source.Rows.Count, early.Rows.Count);
        foreach (var row in table.Rows)
        {
            var last = early.Rows.Last(r => r[0] == row[0]);
            Assert.Equal(row[1], last[2]);
            for (int c = 0; c < 3; c++)
                Assert.Equal(double.Parse(row[2 + c], CultureInfo.InvariantCulture), double.Parse(last[3 + c], CultureInfo.InvariantCulture), 1e-5);
        }
    }

    [Fact]
    public void Built_in_motion_data_reports_the_physics_and_last_position_baselines_by_fraction_observed()
    {
        string dir = CliRunner.TempDir();
        var result = CliRunner.Run(["classify", "--sequences", "120", "--out", dir, "--json", .. Tiny]);
        Assert.True(result.ExitCode == 0, result.Stderr);
        var json = result.Json;
        Assert.Equal(["majority", "pooled", "last_position", "physics"], json["baselines"]!.AsObject().Select(p => p.Key));
        Assert.Equal(["floor", "sofa", "table", "shelf"], json["classes"]!.AsArray().Select(c => (string)c!));
        var bins = json["by_fraction"]!.AsArray();
        Assert.Equal(7, bins.Count);
        Assert.Equal((int)json["test"]!["sequences"]!, bins.Sum(b => (int)b!["sequences"]!));
        foreach (string file in new[] { "data.csv", "fraction.png", "model.safetensors" })
            Assert.True(File.Exists(Path.Combine(dir, file)), file);
        Assert.False(Baton.IO.ModelFile.Load(Path.Combine(dir, "model.safetensors")).Config.Bidirectional);
        var predicted = CliRunner.Run("classify", "predict", "--model", Path.Combine(dir, "model.safetensors"), "--csv", Path.Combine(dir, "data.csv"),
            "--out", Path.Combine(dir, "p.csv"), "--json");
        Assert.True(predicted.ExitCode == 0, predicted.Stderr);
        Assert.Equal(120, (int)predicted.Json["sequences"]!);
    }

    [Theory]
    [InlineData("id,x,label\n1,1,a\n2,1,b\n1,2,b\n", "line 4: the label of sequence '1' changes from 'a' (line 2) to 'b'.")]
    [InlineData("id,x,label\n1,1,a\n2,oops,b\n", "line 3, column 'x': 'oops' is not a number.")]
    [InlineData("id,x,label\n1,1,a\n2,,b\n", "line 3, column 'x': missing value.")]
    [InlineData("id,x,label\n1,1,a\n,2,b\n", "line 3: empty id in column 'id'.")]
    [InlineData("id,x,label\n1,1,a\n2,2,a\n", "every sequence has the label 'a'; a classifier needs at least two classes.")]
    [InlineData("id,y,label\n1,1,a\n2,2,b\n", "no column named 'x' for --features (columns: id, y, label).")]
    public void Bad_input_exits_2_with_one_line_and_writes_nothing(string csvText, string message)
    {
        string dir = CliRunner.TempDir();
        string csv = Path.Combine(dir, "bad.csv");
        File.WriteAllText(csv, csvText);
        string outDir = Path.Combine(dir, "out");
        var result = CliRunner.Run("classify", "train", "--csv", csv, "--id", "id", "--label", "label", "--features", "x", "--out", outDir);
        Assert.Equal(2, result.ExitCode);
        Assert.Equal($"baton: error: bad.csv{(message.StartsWith("line", StringComparison.Ordinal) ? " " : ": ")}{message}", result.Stderr.Trim());
        Assert.False(Directory.Exists(outDir));
    }

    [Fact]
    public void Predict_refuses_a_forecast_model_and_a_csv_without_the_features()
    {
        string dir = CliRunner.TempDir();
        string csv = WriteTrends(dir, 30);
        var trained = Train(csv, Path.Combine(dir, "run"));
        File.WriteAllText(Path.Combine(dir, "other.csv"), "seq,value\ns1,1\n");
        string preds = Path.Combine(dir, "p.csv");
        var result = CliRunner.Run("classify", "predict", "--model", (string)trained.Json["model"]!, "--csv", Path.Combine(dir, "other.csv"), "--out", preds);
        Assert.Equal(2, result.ExitCode);
        Assert.Equal("baton: error: other.csv: no column named 'noise' for --features (columns: seq, value).", result.Stderr.Trim());
        Assert.False(File.Exists(preds));
    }
}
