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

public class GpuGruTests : IClassFixture<GpuDeviceFixture>
{
    private const float MatchTolerance = 1e-5f;   // as the CPU DEER tests: max abs against the sequential stack
    private const double ScanTolerance = 1e-5;    // |h − h64| / (1 + |h64|), as the CPU scan's tests

    private readonly GpuDevice device;

    public GpuGruTests(GpuDeviceFixture fixture) => device = fixture.Device;

    private static (RecurrentStack Stack, Parameters Parameters) Build(int I, int H, ulong seed, float weightScale = 1f)
    {
        var parameters = new Parameters();
        var stack = new RecurrentStack(new RecurrentOptions(CellKind.Gru, I, H), parameters);
        parameters.Freeze();
        stack.ResetParameters(new Rng(seed));
        if (weightScale != 1f)
            System.Numerics.Tensors.TensorPrimitives.Multiply(parameters.Data, weightScale, parameters.Data);
        return (stack, parameters);
    }

    private static float MaxDiff(float[] a, float[] b) => a.Zip(b, (p, q) => Math.Abs(p - q)).Max();

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
    [InlineData(6, 3, 5, 20, GpuSequentialKernel.LaunchPerStep)]
    [InlineData(12, 3, 5, 20, GpuSequentialKernel.OneGroup)]
    [InlineData(4, 1, 3, 70, GpuSequentialKernel.LaunchPerStep)]
    [InlineData(12, 1, 3, 70, GpuSequentialKernel.OneGroup)]
    public void Both_sequential_kernels_match_the_recurrent_stack(int T, int B, int I, int H, GpuSequentialKernel kernel)
    {
        var (stack, parameters) = Build(I, H, 71);
        var rng = new Rng(72);
        var x = ScanReference.Uniform(rng, T * B * I, -1f, 1f);
        var h0 = ScanReference.Uniform(rng, B * H, -0.5f, 0.5f);
        var expected = new float[T * B * H];
        stack.Forward(stack.CreateWorkspace(T, B), x, T, B, [], h0, [], expected, [], []);

        using var gru = new GpuGru(device, stack, parameters);
        gru.Load(x, T, B, h0);
        gru.RunSequential(kernel);
        var y = new float[T * B * H];
        gru.ReadOutput(y);
        Assert.True(MaxDiff(expected, y) <= MatchTolerance, $"{kernel}: max diff {MaxDiff(expected, y)}");
    }

    [Theory]
    [InlineData(DeerVariant.Quasi)]
    [InlineData(DeerVariant.Damped)]
    public void Quasi_deer_on_the_accelerator_converges_to_the_sequential_result_in_about_the_cpu_iteration_count(DeerVariant variant)
    {
        const int T = 64, B = 2, I = 5, H = 24;
        var (stack, parameters) = Build(I, H, 81);
        var rng = new Rng(82);
        var x = ScanReference.Uniform(rng, T * B * I, -1f, 1f);
        var h0 = ScanReference.Uniform(rng, B * H, -0.5f, 0.5f);
        var expected = new float[T * B * H];
        stack.Forward(stack.CreateWorkspace(T, B), x, T, B, [], h0, [], expected, [], []);
        var cpu = new Deer(stack, parameters).Evaluate(x, T, B, h0, [], new float[T * B * H], new DeerOptions(variant));

        using var gru = new GpuGru(device, stack, parameters);
        gru.Load(x, T, B, h0);
        var result = gru.RunDeer(new DeerOptions(variant));
        var y = new float[T * B * H];
        gru.ReadOutput(y);
        Assert.True(result.Converged, $"{variant}: residual {result.Residual} after {result.Iterations} iterations");
        Assert.False(result.FellBack);
        Assert.True(MaxDiff(expected, y) <= MatchTolerance, $"{variant}: max diff {MaxDiff(expected, y)} after {result.Iterations} iterations");
        Assert.InRange(result.Iterations, cpu.Iterations - 2, cpu.Iterations + 2);
    }

    [Fact]
    public void Without_convergence_within_the_cap_it_falls_back_to_the_sequential_kernel()
    {
        const int T = 40, B = 2, I = 3, H = 6;
        var (stack, parameters) = Build(I, H, 61, weightScale: 3f);
        var x = ScanReference.Uniform(new Rng(62), T * B * I, -1f, 1f);
        using var gru = new GpuGru(device, stack, parameters);
        gru.Load(x, T, B, []);
        gru.RunSequential();
        var expected = new float[T * B * H];
        gru.ReadOutput(expected);
        var result = gru.RunDeer(new DeerOptions(DeerVariant.Quasi, MaxIterations: 2));
        var y = new float[T * B * H];
        gru.ReadOutput(y);
        Assert.False(result.Converged);
        Assert.True(result.FellBack);
        Assert.Equal(2, result.Iterations);
        Assert.Equal(expected, y);
    }

    [Fact]
    public void Full_deer_and_other_cells_are_refused()
    {
        var (stack, parameters) = Build(3, 4, 91);
        using var gru = new GpuGru(device, stack, parameters);
        gru.Load(new float[2 * 3], 2, 1, []);
        Assert.Throws<ArgumentException>(() => gru.RunDeer(new DeerOptions(DeerVariant.Full)));
        var lstmParameters = new Parameters();
        var lstm = new RecurrentStack(new RecurrentOptions(CellKind.Lstm, 3, 4), lstmParameters);
        Assert.Throws<ArgumentException>(() => new GpuGru(device, lstm, lstmParameters));
    }
}
