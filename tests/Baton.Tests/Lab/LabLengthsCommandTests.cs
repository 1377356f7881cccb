using Baton.Tests.Cli;

namespace Baton.Tests.Lab;

public class LabLengthsCommandTests
{
    [Fact]
    public void One_set_of_weights_trained_up_to_n_answers_at_n_and_far_above_chance_at_2n()
    {
        string dir = CliRunner.TempDir();
        var r = CliRunner.Run("lab", "lengths", "--task", "recall", "--cell", "gru", "--train-length", "10", "--hidden", "16",
            "--test-size", "200", "--seed", "1", "--out", dir, "--json", "--quiet");
        Assert.Equal(0, r.ExitCode);
        var json = r.Json;
        Assert.Equal(new[] { 5, 10 }, json["train_lengths"]!.AsArray().Select(x => x!.GetValue<int>()));
        var results = json["results"]!.AsArray();
        Assert.Equal(new[] { 10, 20, 40, 80 }, results.Select(x => x!["length"]!.GetValue<int>()));
        Assert.True(results[0]!["accuracy"]!.GetValue<double>() >= 0.95, $"accuracy at N: {results[0]!["accuracy"]}");
        // Measured 0.86 at 2N, against chance 0.25: lengths never seen in training, same weights.
        Assert.True(results[1]!["accuracy"]!.GetValue<double>() >= 0.6, $"accuracy at 2N: {results[1]!["accuracy"]}");
        // Recurrent parameters do not depend on T; a fully connected layer over N steps of 13 one-hot features into H = 16 has 10·13·16 + 16.
        Assert.Equal(10 * 13 * 16 + 16, json["fully_connected_parameters_at_N"]!.GetValue<long>());
        Assert.Equal(5, File.ReadAllLines(Path.Combine(dir, "lengths.csv")).Length);
    }
}
