using Baton.Tests.Cli;

namespace Baton.Tests.Lab;

public class ParamsCommandTests
{
    [Fact]
    public void Params_json_gives_the_pytorch_total_tensors_and_comparison()
    {
        var r = CliRunner.Run("params", "--cell", "lstm", "--input", "10", "--hidden", "20", "--layers", "2", "--json");
        Assert.Equal(0, r.ExitCode);
        var json = r.Json;
        // torch.nn.LSTM(10, 20, num_layers=2): 4·20·(10+20) + 160 + 4·20·(20+20) + 160 = 5920.
        Assert.Equal(5920, json["total"]!.GetValue<long>());
        Assert.Equal(1600, json["tensors"]!["rnn.weight_hh_l1"]!.GetValue<long>());
        Assert.Equal(100 * 10 * 20 + 20, json["comparison"]!["fully_connected"]!["total"]!.GetValue<long>());
        Assert.Equal(20 * 10 * 3 + 20, json["comparison"]!["cnn"]!["total"]!.GetValue<long>());
        var growth = json["growth"]!.AsArray();
        Assert.All(growth, g => Assert.Equal(5920, g!["recurrent"]!.GetValue<long>()));
        // T·I·H + H: ten times the window, ten times the weights (the bias H stays).
        Assert.Equal(10 * (growth[1]!["fully_connected"]!.GetValue<long>() - 20), growth[2]!["fully_connected"]!.GetValue<long>() - 20);
    }

    [Fact]
    public void Params_with_vocab_adds_embedding_and_head()
    {
        var r = CliRunner.Run("params", "--cell", "gru", "--input", "16", "--hidden", "24", "--layers", "2", "--bidirectional", "--vocab", "50", "--json");
        Assert.Equal(0, r.ExitCode);
        // The PyTorch fixture's entry for this shape (tools/golden/params.py).
        Assert.Equal(19954, r.Json["total"]!.GetValue<long>());
        Assert.Equal(50 * 48, r.Json["tensors"]!["head.weight"]!.GetValue<long>());
    }

    [Fact]
    public void Params_writes_growth_csv_and_png()
    {
        string dir = CliRunner.TempDir();
        var r = CliRunner.Run("params", "--cell", "rnn", "--hidden", "8", "--out", dir);
        Assert.Equal(0, r.ExitCode);
        string[] rows = File.ReadAllLines(Path.Combine(dir, "params_growth.csv"));
        Assert.Equal("10,88,88,832,5,872,952", rows[1]);
        Assert.True(new FileInfo(Path.Combine(dir, "params_growth.png")).Length > 1000);
    }

    [Fact]
    public void Params_rejects_a_projection_on_a_gru_with_exit_code_2()
    {
        var r = CliRunner.Run("params", "--cell", "gru", "--hidden", "8", "--proj", "4");
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("--proj", r.Stderr);
    }
}
