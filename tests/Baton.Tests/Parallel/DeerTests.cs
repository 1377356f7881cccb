using Baton.Layers;
using Baton.Numerics;
using Baton.Parallel;

namespace Baton.Tests.Parallel;

public class DeerTests
{
    private const float MatchTolerance = 1e-5f;   // the bar: max abs against the sequential result

    /// <summary>A one-layer stack of <paramref name="cell"/> with seeded weights, scaled by <paramref name="weightScale"/>.</summary>
    /// <summary>A stack from <see cref="Build"/> (seed), inputs x [T, B, I] and h0 / c0 drawn from seed + 1, and the stack's
    /// own sequential output for them.</summary>
    internal sealed record Problem(RecurrentStack Stack, Parameters Parameters, float[] X, float[] H0, float[] C0, float[] Expected)
    {
        public static Problem Make(CellKind cell, int T, int B, int I, int H, ulong seed)
        {
            var (stack, parameters) = Build(cell, I, H, seed);
            var rng = new Rng(seed + 1);
            var x = ScanReference.Uniform(rng, T * B * I, -1f, 1f);
            var h0 = ScanReference.Uniform(rng, B * H, -0.5f, 0.5f);
            var c0 = cell == CellKind.Lstm ? ScanReference.Uniform(rng, B * H, -0.5f, 0.5f) : [];
            var expected = new float[T * B * H];
            stack.Forward(stack.CreateWorkspace(T, B), x, T, B, [], h0, c0, expected, [], []);
            return new Problem(stack, parameters, x, h0, c0, expected);
        }
    }

    internal static (RecurrentStack Stack, Parameters Parameters) Build(CellKind cell, int I, int H, ulong seed, float weightScale = 1f)
    {
        var parameters = new Parameters();
        var stack = new RecurrentStack(new RecurrentOptions(cell, I, H), parameters);
        parameters.Freeze();
        stack.ResetParameters(new Rng(seed));
        if (weightScale != 1f)
            System.Numerics.Tensors.TensorPrimitives.Multiply(parameters.Data, weightScale, parameters.Data);
        return (stack, parameters);
    }

    internal static float MaxDiff(float[] a, float[] b) => a.Zip(b, (p, q) => Math.Abs(p - q)).Max();

    // The cells are internal types, so the theory data is typed object (xUnit needs a public data member).
    public static IEnumerable<object[]> Cases() =>
    [
        [CellKind.Gru, DeerVariant.Full], [CellKind.Gru, DeerVariant.Quasi], [CellKind.Gru, DeerVariant.Damped], [CellKind.Lstm, DeerVariant.Full], [CellKind.Lstm, DeerVariant.Quasi], [CellKind.Lstm, DeerVariant.Damped],
    ];

    [Theory]
    [MemberData(nameof(Cases))]
    internal void Every_variant_converges_to_the_sequential_recurrent_stack(CellKind cell, DeerVariant variant)
    {
        const int T = 96, B = 2, I = 5, H = 8;
        var (stack, parameters, x, h0, c0, expected) = Problem.Make(cell, T, B, I, H, 41);

        var deer = new Deer(stack, parameters);
        var sequential = new float[T * B * H];
        deer.EvaluateSequential(x, T, B, h0, c0, sequential);
        Assert.True(MaxDiff(expected, sequential) <= MatchTolerance, $"sequential vs stack {MaxDiff(expected, sequential)}");

        var y = new float[T * B * H];
        var result = deer.Evaluate(x, T, B, h0, c0, y, new DeerOptions(variant));
        Assert.True(result.Converged, $"{variant}: residual {result.Residual} after {result.Iterations} iterations");
        Assert.False(result.FellBack);
        Assert.InRange(result.Iterations, 1, T);
        Assert.True(MaxDiff(expected, y) <= MatchTolerance, $"{variant}: max diff {MaxDiff(expected, y)} after {result.Iterations} iterations");
    }

    [Theory]
    [InlineData(CellKind.Gru)]
    [InlineData(CellKind.Lstm)]
    internal void Full_newton_needs_fewer_iterations_than_the_diagonal_approximation(CellKind cell)
    {
        const int T = 128, B = 1, I = 4, H = 8;
        var (stack, parameters) = Build(cell, I, H, 51, weightScale: 2f);
        var x = ScanReference.Uniform(new Rng(52), T * B * I, -1f, 1f);
        var deer = new Deer(stack, parameters);
        var y = new float[T * B * H];
        var full = deer.Evaluate(x, T, B, [], [], y, new DeerOptions(DeerVariant.Full));
        var quasi = deer.Evaluate(x, T, B, [], [], y, new DeerOptions(DeerVariant.Quasi));
        Assert.True(full.Converged && quasi.Converged);
        Assert.True(full.Iterations < quasi.Iterations, $"full {full.Iterations} vs quasi {quasi.Iterations}");
    }

    [Fact]
    public void Without_convergence_within_the_cap_it_falls_back_to_the_sequential_loop()
    {
        const int T = 200, B = 2, I = 3, H = 6;
        var (stack, parameters) = Build(CellKind.Gru, I, H, 61, weightScale: 3f);
        var x = ScanReference.Uniform(new Rng(62), T * B * I, -1f, 1f);
        var deer = new Deer(stack, parameters);
        var expected = new float[T * B * H];
        deer.EvaluateSequential(x, T, B, [], [], expected);
        var y = new float[T * B * H];
        var result = deer.Evaluate(x, T, B, [], [], y, new DeerOptions(DeerVariant.Quasi, MaxIterations: 2));
        Assert.False(result.Converged);
        Assert.True(result.FellBack);
        Assert.Equal(2, result.Iterations);
        Assert.Equal(expected, y);
    }

    [Theory]
    [InlineData(CellKind.Gru)]
    [InlineData(CellKind.Lstm)]
    internal void The_damped_variant_falls_back_once_its_trust_radius_is_below_float_resolution(CellKind cell)
    {
        const int T = 64, B = 1, I = 3, H = 6, Cap = 1000;
        var (stack, parameters) = Build(cell, I, H, 71);
        var x = ScanReference.Uniform(new Rng(72), T * B * I, -1f, 1f);
        var deer = new Deer(stack, parameters);
        var expected = new float[T * B * H];
        deer.EvaluateSequential(x, T, B, [], [], expected);
        var y = new float[T * B * H];
        // A zero tolerance cannot be met in float32: every step ends up rejected at the rounding floor.
        var result = deer.Evaluate(x, T, B, [], [], y, new DeerOptions(DeerVariant.Damped, Cap, Tolerance: 0f));
        Assert.True(result.FellBack);
        Assert.InRange(result.Iterations, 1, Cap / 4);
        Assert.Equal(expected, y);
    }

    [Fact]
    public void Stacks_with_more_than_one_layer_are_refused()
    {
        var parameters = new Parameters();
        var stack = new RecurrentStack(new RecurrentOptions(CellKind.Gru, 3, 4, Layers: 2), parameters);
        parameters.Freeze();
        Assert.Throws<ArgumentException>(() => new Deer(stack, parameters));
    }
}
