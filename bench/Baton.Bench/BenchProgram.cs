using Baton.Lab.Bench;

namespace Baton.Bench;

/// <summary>
/// <c>dotnet run --project bench/Baton.Bench -- NAME... [--threads N] [--json] [--repeat N]</c>: Baton.Lab's benchmark
/// harness over its rows and this project's ONNX Runtime rows (the name-ort twins of the stream rows).
/// </summary>
public static class BenchProgram
{
    /// <summary>Baton.Lab's rows and the ONNX Runtime rows of this assembly.</summary>
    public static BenchRegistry Registry { get; } = new(typeof(BenchRegistry).Assembly, typeof(BenchProgram).Assembly);

    /// <summary>Entry point for <c>dotnet run</c>.</summary>
    public static int Main(string[] args) => Run(args, Console.Out, Console.Error);

    /// <summary>Runs the harness over <see cref="Registry"/>; returns 0 when every row ran, 1 when one failed, 2 on a usage error.</summary>
    public static int Run(string[] args, TextWriter stdout, TextWriter stderr) => BenchHarness.Run(Registry, args, stdout, stderr);
}
