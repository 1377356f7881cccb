using System.Globalization;
using Baton.Data;
using Baton.Tests.Cli;

namespace Baton.Tests.Forecast;

public sealed class ForecastCommandTests
{
    private const double PrintedTolerance = 1e-5;

    private static readonly string[] TinyTraining =
        ["--window", "12", "--horizon", "3", "--hidden", "8", "--steps", "8", "--batch", "16"];

    private static string WriteCsv(string dir, string name, string text)
    {
        string path = Path.Combine(dir, name);
        File.WriteAllText(path, text);
        return path;
    }

    private static string EnergyCsv(string dir, int rows = 200)
    {
        var writer = new StringWriter();
        TimeSeriesGenerator.Energy(seed: 11, rows: rows).WriteCsv(writer);
        return WriteCsv(dir, "energy.csv", writer.ToString());
    }

    private static CliRunner.Result Train(string csv, string outDir, params string[] extra) =>
        CliRunner.Run([.. new[] { "forecast", "train", "--csv", csv, "--target", "load", "--features", "temperature", "--out", outDir }, .. TinyTraining, .. extra]);

    [Fact]
    public void Train_with_json_reports_exactly_test_baselines_and_model()
    {
        string dir = CliRunner.TempDir();
        var result = Train(EnergyCsv(dir), Path.Combine(dir, "run"), "--json");
        Assert.True(result.ExitCode == 0, result.Stderr);
        var json = result.Json.AsObject();
        Assert.Equal(["test", "baselines", "model", "seasons", "split", "scheme", "device", "train_loss", "validation_loss", "base_choice"], json.Select(p => p.Key));
        Assert.Equal(["mae", "rmse", "smape", "mase"], json["test"]!.AsObject().Select(p => p.Key));
        int[] seasons = [.. json["seasons"]!.AsArray().Select(n => (int)n!)];
        Assert.Equal(["seasonal_naive", "last_value", "ets", "base", .. seasons.Where(m => m > 1).Select(m => $"seasonal_naive_{m}")],
            json["baselines"]!.AsObject().Select(p => p.Key));
        Assert.Equal(200, (int)json["split"]!["train"]! + (int)json["split"]!["validation"]! + (int)json["split"]!["test"]!);
        Assert.Equal(["mae", "rmse", "smape", "mase"], json["baselines"]!["seasonal_naive"]!.AsObject().Select(p => p.Key));
        string model = (string)json["model"]!;
        Assert.True(File.Exists(model));
        Assert.True(new FileInfo(Path.Combine(dir, "run", "forecast.png")).Length > 1000);
        double mae = (double)json["test"]!["mae"]!;
        double mase = (double)json["test"]!["mase"]!;
        Assert.True(mae > 0 && double.IsFinite(mase));
    }

    [Fact]
    public void Predict_follow_prints_the_same_forecasts_as_batch_prediction()
    {
        string dir = CliRunner.TempDir();
        string csv = EnergyCsv(dir, rows: 200);
        var trained = Train(csv, Path.Combine(dir, "run"), "--json");
        Assert.True(trained.ExitCode == 0, trained.Stderr);
        string model = (string)trained.Json["model"]!;

        string[] lines = File.ReadAllLines(csv);
        const int History = 150;
        string historyCsv = WriteCsv(dir, "history.csv", string.Join('\n', lines.Take(1 + History)) + "\n");
        string newRows = string.Join('\n', lines.Skip(1 + History)) + "\n";

        string batchOut = Path.Combine(dir, "batch.csv");
        var batch = CliRunner.Run("forecast", "predict", "--model", model, "--csv", csv, "--out", batchOut);
        Assert.True(batch.ExitCode == 0, batch.Stderr);
        var follow = CliRunner.RunWithInput(newRows, "forecast", "predict", "--model", model, "--csv", historyCsv, "--follow");
        Assert.True(follow.ExitCode == 0, follow.Stderr);

        string[] expected = File.ReadAllLines(batchOut);
        string[] streamed = follow.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        int newCount = lines.Length - 1 - History;
        Assert.Equal(1 + newCount, streamed.Length);
        Assert.Equal(expected[0], streamed[0]);
        string[] expectedTail = expected[^newCount..];
        for (int i = 0; i < newCount; i++)
        {
            string[] a = expectedTail[i].Split(',');
            string[] b = streamed[1 + i].Split(',');
            Assert.Equal(a[0], b[0]);
            Assert.Equal(a.Length, b.Length);
            for (int c = 1; c < a.Length; c++)
            {
                double x = double.Parse(a[c], CultureInfo.InvariantCulture);
                double y = double.Parse(b[c], CultureInfo.InvariantCulture);
                Assert.True(Math.Abs(x - y) <= PrintedTolerance * Math.Max(1, Math.Abs(x)), $"line {i}: {expectedTail[i]} vs {streamed[1 + i]}");
            }
        }
    }

    [Fact]
    public void Predict_follow_reports_a_bad_line_and_goes_on_unless_strict()
    {
        string dir = CliRunner.TempDir();
        string csv = EnergyCsv(dir, rows: 200);
        var trained = Train(csv, Path.Combine(dir, "run"), "--json");
        Assert.True(trained.ExitCode == 0, trained.Stderr);
        string model = (string)trained.Json["model"]!;
        string[] lines = File.ReadAllLines(csv);
        string historyCsv = WriteCsv(dir, "history.csv", string.Join('\n', lines.Take(1 + 190)) + "\n");
        string[] fresh = lines[(1 + 190)..];
        string input = string.Join('\n', [fresh[0], "2030-01-01T00:00:00,oops,3", .. fresh[1..]]) + "\n";

        var follow = CliRunner.RunWithInput(input, "forecast", "predict", "--model", model, "--csv", historyCsv, "--follow");
        Assert.True(follow.ExitCode == 0, follow.Stderr);
        Assert.Equal(1 + fresh.Length, follow.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
        Assert.Contains("skipped: stdin line 2, column '", follow.Stderr);
        Assert.Contains("'oops' is not a number.", follow.Stderr);

        var strict = CliRunner.RunWithInput(input, "forecast", "predict", "--model", model, "--csv", historyCsv, "--follow", "--strict");
        Assert.Equal(2, strict.ExitCode);
        Assert.Equal(2, strict.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);   // header + the first row's forecast
    }

    [Fact]
    public void Predict_with_json_and_no_out_writes_the_forecasts_to_stdout_before_the_json_line()
    {
        string dir = CliRunner.TempDir();
        string csv = EnergyCsv(dir, rows: 200);
        var trained = Train(csv, Path.Combine(dir, "run"), "--json");
        Assert.True(trained.ExitCode == 0, trained.Stderr);
        var result = CliRunner.Run("forecast", "predict", "--model", (string)trained.Json["model"]!, "--csv", csv, "--json");
        Assert.True(result.ExitCode == 0, result.Stderr);
        string[] stdout = result.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        int forecasts = (int)result.Json["forecasts"]!;
        Assert.Equal(1 + forecasts + 1, stdout.Length);
        Assert.StartsWith("time,load+1,", stdout[0]);
        Assert.DoesNotContain("load+1", result.Stderr);
    }

    public static TheoryData<string, string, string> BadInputs() => new()
    {
        { "missing column", "time,load,temp\n" + Rows(40, (t, r) => $"{t},{r}.5,{r % 7}"), "no column named 'temperature'" },
        { "non-numeric cell", "time,load,temperature\n" + Rows(40, (t, r) => r == 17 ? $"{t},oops,1" : $"{t},{r}.5,{r % 7}"), "line 19, column 'load': 'oops' is not a number" },
        { "missing value", "time,load,temperature\n" + Rows(40, (t, r) => r == 5 ? $"{t},,1" : $"{t},{r}.5,{r % 7}"), "line 7, column 'load': missing value" },
        { "too few rows", "time,load,temperature\n" + Rows(20, (t, r) => $"{t},{r}.5,{r % 7}"), "the data has 20 rows, too few for window 12 + horizon 3" },
        { "constant column", "time,load,temperature\n" + Rows(40, (t, r) => $"{t},{r}.5,4"), "column 'temperature' is constant" },
        { "unsorted times", "time,load,temperature\n" + Rows(40, (t, r) => r == 30 ? $"2020-01-01T00:00:00,{r},1" : $"{t},{r}.5,{r % 7}"), "line 32, column 'time': times are not sorted" },
        { "duplicate times", "time,load,temperature\n" + Rows(40, (t, r) => r == 30 ? $"{Time(29)},{r},1" : $"{t},{r}.5,{r % 7}"), "line 32, column 'time': duplicate time" },
    };

    [Theory]
    [MemberData(nameof(BadInputs))]
    public void Bad_input_is_one_clear_line_and_exit_code_2(string name, string csvText, string expected)
    {
        string dir = CliRunner.TempDir();
        string csv = WriteCsv(dir, "bad.csv", csvText);
        var result = Train(csv, Path.Combine(dir, "run"));
        Assert.True(result.ExitCode == 2, $"{name}: exit {result.ExitCode}, stderr {result.Stderr}");
        string[] errorLines = result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Single(errorLines);
        Assert.Contains(expected, errorLines[0]);
        Assert.False(File.Exists(Path.Combine(dir, "run", "model.safetensors")));
    }

    [Fact]
    public void Predict_rejects_a_model_file_that_is_not_a_model()
    {
        string dir = CliRunner.TempDir();
        string fake = WriteCsv(dir, "model.safetensors", "not a model");
        var result = CliRunner.Run("forecast", "predict", "--model", fake, "--csv", EnergyCsv(dir));
        Assert.Equal(2, result.ExitCode);
        Assert.Single(result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    private static string Time(int r) => new DateTime(2024, 1, 1).AddHours(r).ToString("yyyy-MM-ddTHH:mm:ss", CultureInfo.InvariantCulture);

    private static string Rows(int n, Func<string, int, string> row) =>
        string.Concat(Enumerable.Range(0, n).Select(r => row(Time(r), r) + "\n"));
}
