using Baton.Tests.Cli;

namespace Baton.Tests.Lab;

public class LabMemoryCommandTests
{
    [Fact]
    public void Lstm_solves_a_short_adding_problem_that_the_tanh_rnn_cannot()
    {
        string dir = CliRunner.TempDir();
        var r = CliRunner.Run("lab", "memory", "--task", "adding", "--length", "30", "--cell", "rnn,lstm", "--hidden", "16",
            "--batch", "32", "--steps", "500", "--lr", "0.01", "--test-size", "500", "--seed", "1", "--out", dir, "--json", "--quiet");
        Assert.Equal(0, r.ExitCode);
        var results = r.Json["results"]!.AsArray();
        var rnn = results.Single(x => x!["cell"]!.GetValue<string>() == "rnn")!;
        var lstm = results.Single(x => x!["cell"]!.GetValue<string>() == "lstm")!;
        Assert.Equal(1.0 / 6.0, rnn["baseline"]!.GetValue<double>(), 12);
        // Measured: LSTM 0.0033, RNN 0.1706 (the baseline is 0.167).
        Assert.True(lstm["mse"]!.GetValue<double>() < 0.01, $"lstm mse {lstm["mse"]}");
        Assert.True(lstm["solved"]!.GetValue<bool>());
        Assert.InRange(rnn["mse"]!.GetValue<double>(), 0.12, 0.25);
        Assert.False(rnn["solved"]!.GetValue<bool>());
        Assert.Equal(3, File.ReadAllLines(Path.Combine(dir, "memory.csv")).Length);
        Assert.True(File.Exists(Path.Combine(dir, "memory.png")));
    }

    [Fact]
    public void Single_run_json_has_task_cell_length_score_and_baseline()
    {
        var r = CliRunner.Run("lab", "memory", "--task", "recall", "--length", "6", "--cell", "gru", "--hidden", "8",
            "--steps", "300", "--lr", "0.02", "--test-size", "200", "--json", "--quiet");
        Assert.Equal(0, r.ExitCode);
        var json = r.Json;
        Assert.Equal("recall", json["task"]!.GetValue<string>());
        Assert.Equal("gru", json["cell"]!.GetValue<string>());
        Assert.Equal(6, json["length"]!.GetValue<int>());
        Assert.Equal(0.25, json["baseline"]!.GetValue<double>());
        Assert.True(json["accuracy"]!.GetValue<double>() >= 0.95, $"accuracy {json["accuracy"]}");
    }

    [Theory]
    [InlineData("--length", "1", "--length must be a whole number in [2, 1000000] (got '1')")]
    [InlineData("--cell", "transformer", "unknown cell 'transformer'")]
    [InlineData("--task", "sorting", "'sorting' not recognized")]
    public void Bad_options_exit_with_code_2_and_say_what_is_wrong(string option, string value, string message)
    {
        var r = CliRunner.Run("lab", "memory", option, value, "--steps", "1");
        Assert.Equal(2, r.ExitCode);
        Assert.Contains(message, r.Stderr);
    }
}
