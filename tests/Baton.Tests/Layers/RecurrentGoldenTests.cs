using System.Text.Json;
using Xunit.Abstractions;
using Baton.Layers;

namespace Baton.Tests.Layers;

/// <summary>RecurrentStack against PyTorch fixtures written by tools/golden/layers.py.</summary>
public sealed class RecurrentGoldenTests(ITestOutputHelper output)
{
    private const double ForwardTolerance = 1e-5;
    private const double GradientTolerance = 1e-4;

    public static TheoryData<string> Cases()
    {
        var data = new TheoryData<string>();
        foreach (var path in System.IO.Directory.GetFiles(GoldenFixture.Directory("layers"), "*.safetensors").OrderBy(p => p, StringComparer.Ordinal))
            data.Add(Path.GetFileNameWithoutExtension(path));
        return data;
    }

    internal sealed record Built(RecurrentStack Stack, Parameters Parameters, GoldenFixture Fixture, int T, int B);

    internal static Built Build(string name)
    {
        var f = new GoldenFixture(Path.Combine(GoldenFixture.Directory("layers"), name + ".safetensors"));
        using var config = JsonDocument.Parse(f.Metadata["config"]);
        var c = config.RootElement;
        var cell = c.GetProperty("cell").GetString() switch
        {
            "lstm" => CellKind.Lstm,
            "gru" => CellKind.Gru,
            _ => CellKind.Rnn,
        };
        var options = new RecurrentOptions(cell, c.GetProperty("input").GetInt32(), c.GetProperty("hidden").GetInt32(),
            c.GetProperty("layers").GetInt32(), c.GetProperty("bidirectional").GetBoolean(), c.GetProperty("proj").GetInt32(),
            0f, c.GetProperty("nonlinearity").GetString() == "relu" ? Nonlinearity.Relu : Nonlinearity.Tanh);
        var p = new Parameters();
        var stack = new RecurrentStack(options, p);
        p.Freeze();
        Assert.Equal(f.Names.Count(n => n.StartsWith("rnn.", StringComparison.Ordinal)), p.Tensors.Count);
        foreach (var t in p.Tensors)
        {
            Assert.Equal(f.Shape(t.Name), t.Shape);
            f.Floats(t.Name).CopyTo(p.Value(t));
        }
        return new Built(stack, p, f, c.GetProperty("T").GetInt32(), c.GetProperty("B").GetInt32());
    }

    private static float[] Opt(GoldenFixture f, string name) => f.Has(name) ? f.Floats(name) : [];

    [Theory]
    [MemberData(nameof(Cases))]
    public void Forward_and_backward_match_pytorch(string name)
    {
        var (stack, p, f, T, B) = Build(name);
        int L = stack.Options.Layers, D = stack.Directions;
        int[] lengths = f.Has("lengths") ? f.Ints("lengths") : [];
        var ws = stack.CreateWorkspace(T, B);
        var y = new float[T * B * stack.OutputSize];
        var hn = new float[L * D * B * stack.StateSize];
        var cn = new float[stack.HasCellState ? L * D * B * stack.Options.HiddenSize : 0];
        stack.Forward(ws, f.Floats("x"), T, B, lengths, Opt(f, "h0"), Opt(f, "c0"), y, hn, cn);
        output.WriteLine($"{name}: forward error y {Compare.RelativeError(y, f.Floats("y")):E2}, hn {Compare.RelativeError(hn, f.Floats("hn")):E2}");
        Compare.Close("y", y, f.Floats("y"), ForwardTolerance);
        Compare.Close("hn", hn, f.Floats("hn"), ForwardTolerance);
        if (stack.HasCellState)
            Compare.Close("cn", cn, f.Floats("cn"), ForwardTolerance);

        var dx = new float[f.Floats("x").Length];
        var dh0 = new float[hn.Length];
        var dc0 = new float[cn.Length];
        p.ZeroGrad();
        stack.Backward(ws, f.Floats("dy"), f.Floats("dhn"), Opt(f, "dcn"), dx, dh0, dc0);
        Compare.Close("grad.x", dx, f.Floats("grad.x"), GradientTolerance);
        if (f.Has("grad.h0"))
            Compare.Close("grad.h0", dh0, f.Floats("grad.h0"), GradientTolerance);
        if (f.Has("grad.c0"))
            Compare.Close("grad.c0", dc0, f.Floats("grad.c0"), GradientTolerance);
        double worst = Compare.RelativeError(dx, f.Floats("grad.x"));
        foreach (var t in p.Tensors)
            worst = Math.Max(worst, Compare.RelativeError(p.Gradient(t), f.Floats("grad." + t.Name)));
        output.WriteLine($"{name}: worst gradient error {worst:E2}");
        foreach (var t in p.Tensors)
            Compare.Close("grad." + t.Name, p.Gradient(t), f.Floats("grad." + t.Name), GradientTolerance);
    }
}
