using Baton.Gpu;
using Baton.Layers;
using Baton.Numerics;
using Baton.Parallel;
using Baton.Tests.Parallel;

namespace Baton.Tests.Gpu;

/// <summary>Opens the accelerator once: CUDA where a driver is found, else ILGPU's CPU emulation (as in CI).</summary>
public sealed class GpuDeviceFixture : IDisposable
{
    public GpuDevice Device { get; } = GpuDevice.Open(GpuDeviceKind.Auto);

    public void Dispose() => Device.Dispose();
}

public class GpuDeerTests : IClassFixture<GpuDeviceFixture>
{
    private const float MatchTolerance = 1e-5f;   // as the CPU DEER tests: max abs against the sequential stack
    private const double ScanTolerance = 1e-5;    // |h − h64| / (1 + |h64|), as the CPU scan's tests

    private readonly GpuDevice device;

    public GpuDeerTests(GpuDeviceFixture fixture) => device = fixture.Device;

    [Theory]
    [InlineData(1, 1)]
    [InlineData(7, 3)]
    [InlineData(300, 70)]
    [InlineData(1000, 1)]
    [InlineData(1000, 300)]
    public void The_time_chunked_scan_matches_the_float64_loop(int T, int N)
    {
        var rng = new Rng((ulong)(T * 1000 + N));
        var a = ScanReference.Coefficients(rng, T * N);   // near 0, near 1 and in between, as the CPU scan's tests
        var b = ScanReference.Uniform(rng, T * N, -1f, 1f);
        var h0 = ScanReference.Uniform(rng, N, -1f, 1f);
        var expected = ScanReference.Forward(a, b, h0, T, N);
        var h = new float[T * N];
        using var scan = new GpuLinearScan(device);
        scan.Forward(a, b, h0, h, T, N);
        double error = ScanReference.MaxScaledError(h, expected);
        Assert.True(error <= ScanTolerance, $"T={T} N={N}: error {error:E2}");
        Assert.True(GpuLinearScan.ChunkLength(T, N) < T || T == 1 || N * 2 > GpuLinearScan.Threads, "the test must cross chunks");
    }

    [Theory]
    [InlineData(CellKind.Gru, 6, 3, 5, 20, GpuSequentialKernel.LaunchPerStep)]
    [InlineData(CellKind.Gru, 12, 3, 5, 20, GpuSequentialKernel.OneGroup)]
    [InlineData(CellKind.Gru, 4, 1, 3, 70, GpuSequentialKernel.LaunchPerStep)]
    [InlineData(CellKind.Gru, 12, 1, 3, 70, GpuSequentialKernel.OneGroup)]
    [InlineData(CellKind.Lstm, 5, 2, 5, 20, GpuSequentialKernel.LaunchPerStep)]
    [InlineData(CellKind.Lstm, 12, 2, 5, 20, GpuSequentialKernel.OneGroup)]
    internal void Both_sequential_kernels_match_the_recurrent_stack(CellKind cell, int T, int B, int I, int H, GpuSequentialKernel kernel)
    {
        var (stack, parameters, x, h0, c0, expected) = DeerTests.Problem.Make(cell, T, B, I, H, 71);

        using var deer = new GpuDeer(device, stack, parameters);
        deer.Load(x, T, B, h0, c0);
        deer.RunSequential(kernel);
        var y = new float[T * B * H];
        deer.ReadOutput(y);
        Assert.True(DeerTests.MaxDiff(expected, y) <= MatchTolerance, $"{cell} {kernel}: max diff {DeerTests.MaxDiff(expected, y)}");
    }

    [Theory]
    [InlineData(CellKind.Gru, DeerVariant.Quasi)]
    [InlineData(CellKind.Gru, DeerVariant.Damped)]
    [InlineData(CellKind.Lstm, DeerVariant.Quasi)]
    [InlineData(CellKind.Lstm, DeerVariant.Damped)]
    internal void Quasi_deer_on_the_accelerator_converges_to_the_sequential_result_in_about_the_cpu_iteration_count(CellKind cell, DeerVariant variant)
    {
        const int T = 64, B = 2, I = 5, H = 24;
        var (stack, parameters, x, h0, c0, expected) = DeerTests.Problem.Make(cell, T, B, I, H, 81);
        var cpu = new Deer(stack, parameters).Evaluate(x, T, B, h0, c0, new float[T * B * H], new DeerOptions(variant));

        using var deer = new GpuDeer(device, stack, parameters);
        deer.Load(x, T, B, h0, c0);
        var result = deer.RunDeer(new DeerOptions(variant));
        var y = new float[T * B * H];
        deer.ReadOutput(y);
        Assert.True(result.Converged, $"{cell} {variant}: residual {result.Residual} after {result.Iterations} iterations");
        Assert.False(result.FellBack);
        Assert.True(DeerTests.MaxDiff(expected, y) <= MatchTolerance, $"{cell} {variant}: max diff {DeerTests.MaxDiff(expected, y)} after {result.Iterations} iterations");
        Assert.InRange(result.Iterations, cpu.Iterations - 2, cpu.Iterations + 2);
    }

    [Fact]
    public void Without_convergence_within_the_cap_it_falls_back_to_the_sequential_kernel()
    {
        const int T = 40, B = 2, I = 3, H = 6;
        var (stack, parameters) = DeerTests.Build(CellKind.Gru, I, H, 61, weightScale: 3f);
        var x = ScanReference.Uniform(new Rng(62), T * B * I, -1f, 1f);
        using var deer = new GpuDeer(device, stack, parameters);
        deer.Load(x, T, B, []);
        deer.RunSequential();
        var expected = new float[T * B * H];
        deer.ReadOutput(expected);
        var result = deer.RunDeer(new DeerOptions(DeerVariant.Quasi, MaxIterations: 2));
        var y = new float[T * B * H];
        deer.ReadOutput(y);
        Assert.False(result.Converged);
        Assert.True(result.FellBack);
        Assert.Equal(2, result.Iterations);
        Assert.Equal(expected, y);
    }

    [Fact]
    public void The_damped_variant_stops_at_the_rounding_floor_instead_of_the_cap()
    {
        const int T = 32, B = 1, I = 3, H = 6, Cap = 1000;
        var (stack, parameters) = DeerTests.Build(CellKind.Gru, I, H, 73);
        var x = ScanReference.Uniform(new Rng(74), T * B * I, -1f, 1f);
        using var deer = new GpuDeer(device, stack, parameters);
        deer.Load(x, T, B, []);
        var result = deer.RunDeer(new DeerOptions(DeerVariant.Damped, Cap, Tolerance: 0f));
        Assert.True(result.FellBack);
        Assert.InRange(result.Iterations, 1, Cap / 4);
    }

    [Fact]
    public void Full_deer_other_cells_and_deeper_stacks_are_refused()
    {
        var (stack, parameters) = DeerTests.Build(CellKind.Gru, 3, 4, 91);
        using var deer = new GpuDeer(device, stack, parameters);
        deer.Load(new float[2 * 3], 2, 1, []);
        Assert.Throws<ArgumentException>(() => deer.RunDeer(new DeerOptions(DeerVariant.Full)));
        Assert.Throws<ArgumentException>(() => deer.Load(new float[2 * 3], 2, 1, [], new float[4]));   // c0 for a GRU
        var rnnParameters = new Parameters();
        var rnn = new RecurrentStack(new RecurrentOptions(CellKind.Rnn, 3, 4), rnnParameters);
        Assert.Throws<ArgumentOutOfRangeException>(() => new GpuDeer(device, rnn, rnnParameters));
        var deepParameters = new Parameters();
        var deep = new RecurrentStack(new RecurrentOptions(CellKind.Lstm, 3, 4, 2), deepParameters);
        Assert.Throws<ArgumentException>(() => new GpuDeer(device, deep, deepParameters));
    }
}
