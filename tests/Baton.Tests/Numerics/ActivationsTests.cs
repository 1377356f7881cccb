using Baton.Numerics;

namespace Baton.Tests.Numerics;

public class ActivationsTests
{
    /// <summary>Sigmoid and tanh against float64, relative (about 8 ulp; the kernels are within about 2).</summary>
    private const double ActivationRelativeTolerance = 1e-6;

    /// <summary>Absolute floor for values near zero, far below anything a layer can resolve.</summary>
    private const double AbsoluteFloor = 1e-30;

    /// <summary>A vector path against its scalar twin: same formula, exp may differ by an ulp.</summary>
    private const double TwinRelativeTolerance = 4e-7;

    /// <summary>Softmax and log-softmax against float64, relative to the value's magnitude.</summary>
    private const double SoftmaxTolerance = 2e-6;

    private static float[] Random(int length, ulong seed, float scale)
    {
        var rng = new Rng(seed);
        var x = new float[length];
        for (int i = 0; i < x.Length; i++)
            x[i] = rng.Uniform(-scale, scale);
        return x;
    }

    private static void AssertClose(double expected, double actual, double relative, string what)
    {
        double bound = relative * Math.Abs(expected) + AbsoluteFloor;
        Assert.True(Math.Abs(actual - expected) <= bound, $"{what}: {actual}, expected {expected}");
    }

    public static TheoryData<string> UnaryKernels => new() { "sigmoid", "tanh", "sigmoid'", "tanh'" };

    private static void RunUnary(string kernel, SimdPath path, ReadOnlySpan<float> x, Span<float> y)
    {
        switch (kernel)
        {
            case "sigmoid": Activations.Sigmoid(path, x, y); break;
            case "tanh": Activations.Tanh(path, x, y); break;
            case "sigmoid'": Activations.SigmoidDerivFromOutput(path, x, y); break;
            default: Activations.TanhDerivFromOutput(path, x, y); break;
        }
    }

    private static double Reference(string kernel, double x) => kernel switch
    {
        "sigmoid" => 1 / (1 + Math.Exp(-x)),
        "tanh" => Math.Tanh(x),
        "sigmoid'" => x * (1 - x),
        _ => 1 - x * x,
    };

    [Theory]
    [MemberData(nameof(UnaryKernels))]
    public void Every_vector_path_matches_the_scalar_twin_for_every_length_up_to_257(string kernel)
    {
        for (int n = 0; n <= 257; n++)
        {
            var x = Random(n, (ulong)n + 1, 6f);
            var scalar = new float[n];
            RunUnary(kernel, SimdPath.Scalar, x, scalar);
            foreach (var path in SimdPaths.Supported)
            {
                var y = new float[n];
                RunUnary(kernel, path, x, y);
                for (int i = 0; i < n; i++)
                    AssertClose(scalar[i], y[i], TwinRelativeTolerance, $"{kernel} {path} n={n} i={i}");
            }
        }
    }

    [Theory]
    [InlineData("sigmoid")]
    [InlineData("tanh")]
    public void Sigmoid_and_tanh_match_float64_across_the_range(string kernel)
    {
        // Dense near zero (tanh's polynomial / exp switch at 0.625), then out to saturation.
        var x = new List<float>();
        for (int i = -4000; i <= 4000; i++)
            x.Add(i * 5e-4f);
        for (int i = -2000; i <= 2000; i++)
            x.Add(i * 0.01f);
        x.AddRange([1e-8f, -1e-8f, 1e-20f, 0f, 30f, -30f, 88f, -88f, 104f, -104f]);
        var input = x.ToArray();
        foreach (var path in SimdPaths.Supported)
        {
            var y = new float[input.Length];
            RunUnary(kernel, path, input, y);
            for (int i = 0; i < input.Length; i++)
                AssertClose(Reference(kernel, input[i]), y[i], ActivationRelativeTolerance, $"{kernel} {path} x={input[i]}");
        }
    }

    [Theory]
    [MemberData(nameof(UnaryKernels))]
    public void Derivative_kernels_and_large_inputs_give_no_nan_or_infinity(string kernel)
    {
        float[] x = [1e4f, -1e4f, 3e38f, -3e38f, 0f];
        foreach (var path in SimdPaths.Supported)
        {
            var y = new float[x.Length];
            RunUnary(kernel, path, kernel.EndsWith('\'') ? [1f, 0f, 0.5f, -1f, 0f] : x, y);
            Assert.All(y, v => Assert.True(float.IsFinite(v), $"{kernel} {path}: {v}"));
        }
        var s = new float[2];
        Activations.Sigmoid([1e4f, -1e4f], s);
        Assert.Equal([1f, 0f], s);
        Activations.Tanh([1e4f, -1e4f], s);
        Assert.Equal([1f, -1f], s);
    }

    [Fact]
    public void Backward_kernels_multiply_the_upstream_gradient_by_the_derivative()
    {
        for (int n = 0; n <= 257; n += 37)
        {
            var y = Random(n, 5, 1f);
            var dy = Random(n, 6, 3f);
            var dx = new float[n];
            Activations.SigmoidBackward(y, dy, dx);
            for (int i = 0; i < n; i++)
                AssertClose(dy[i] * (double)y[i] * (1 - y[i]), dx[i], ActivationRelativeTolerance, "sigmoid backward");
            Activations.TanhBackward(y, dy, dx);
            for (int i = 0; i < n; i++)
            {
                // Without a fused multiply-add (Vector128 or scalar hardware), y² is rounded before 1 − y² cancels: allow
                // that one rounding, |dy|·y²·2⁻²⁴, on top of the relative bound.
                double expected = dy[i] * (1 - (double)y[i] * y[i]);
                double unfused = Math.Abs(dy[i]) * y[i] * y[i] * Math.Pow(2, -24);
                Assert.True(Math.Abs(dx[i] - expected) <= ActivationRelativeTolerance * Math.Abs(expected) + unfused + AbsoluteFloor,
                    $"tanh backward: {dx[i]}, expected {expected}");
            }
        }
    }

    [Fact]
    public void Softmax_and_log_softmax_match_float64_on_every_path_and_length()
    {
        foreach (int columns in new[] { 1, 2, 15, 16, 17, 63, 64, 65, 257 })
        {
            const int rows = 3;
            var x = Random(rows * columns, (ulong)columns, 20f);
            x[0] = 1e4f; // a large logit must not overflow
            foreach (var path in SimdPaths.Supported)
            {
                var soft = new float[x.Length];
                var log = new float[x.Length];
                Activations.Rows(path, x, columns, soft, log: false);
                Activations.Rows(path, x, columns, log, log: true);
                for (int r = 0; r < rows; r++)
                {
                    double max = double.NegativeInfinity, sum = 0;
                    for (int j = 0; j < columns; j++)
                        max = Math.Max(max, x[r * columns + j]);
                    for (int j = 0; j < columns; j++)
                        sum += Math.Exp(x[r * columns + j] - max);
                    for (int j = 0; j < columns; j++)
                    {
                        double logp = x[r * columns + j] - max - Math.Log(sum);
                        // Rounding x − max costs |x − max|·2⁻²⁴ relative in e^{x − max}: the tolerance scales with it.
                        AssertClose(Math.Exp(logp), soft[r * columns + j], SoftmaxTolerance * (1 + Math.Abs(logp)), $"softmax {path} {columns}");
                        Assert.True(Math.Abs(log[r * columns + j] - logp) <= SoftmaxTolerance * Math.Max(1, Math.Abs(logp)), $"log-softmax {path} {columns}");
                    }
                }
            }
        }
    }

    [Fact]
    public void Mismatched_lengths_throw_argument_exceptions_naming_the_argument()
    {
        Assert.Equal("y", Assert.Throws<ArgumentException>(() => Activations.Sigmoid(new float[3], new float[2])).ParamName);
        Assert.Equal("y", Assert.Throws<ArgumentException>(() => Activations.Tanh(new float[3], new float[4])).ParamName);
        Assert.Equal("dx", Assert.Throws<ArgumentException>(() => Activations.TanhBackward(new float[3], new float[3], new float[2])).ParamName);
        Assert.Equal("dy", Assert.Throws<ArgumentException>(() => Activations.SigmoidBackward(new float[3], new float[2], new float[3])).ParamName);
        Assert.Equal("x", Assert.Throws<ArgumentException>(() => Activations.Softmax(new float[7], 3, new float[7])).ParamName);
        Assert.Equal("y", Assert.Throws<ArgumentException>(() => Activations.LogSoftmax(new float[6], 3, new float[7])).ParamName);
    }
}
