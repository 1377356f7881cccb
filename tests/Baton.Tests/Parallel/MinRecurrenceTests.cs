using Baton.Layers;
using Baton.Numerics;

namespace Baton.Tests.Parallel;

public class MinRecurrenceTests
{
    private const float StepTolerance = 1e-5f;
    private const float GradientTolerance = 1e-5f;

    public static TheoryData<string> Cells() => ["mingru", "minlstm"];

    private static (MinRecurrence Layer, Parameters Parameters) Build(string cell, int I, int H, ulong seed)
    {
        var parameters = new Parameters();
        MinRecurrence layer = cell == "mingru"
            ? new MinGru(I, H, parameters, "rnn.layers.0.")
            : new MinLstm(I, H, parameters, "rnn.layers.0.");
        parameters.Freeze();
        layer.ResetParameters(new Rng(seed));
        return (layer, parameters);
    }

    [Theory]
    [MemberData(nameof(Cells))]
    public void Step_by_step_inference_reproduces_the_scan_outputs(string cell)
    {
        const int T = 300, B = 3, I = 7, H = 150;
        var (layer, _) = Build(cell, I, H, 1);
        var rng = new Rng(2);
        var x = ScanReference.Uniform(rng, T * B * I, -2f, 2f);
        var h0 = ScanReference.Uniform(rng, B * H, 0f, 1f);
        var y = new float[T * B * H];
        layer.Forward(layer.CreateCache(T, B), x, T, B, [], h0, y, []);

        var h = (float[])h0.Clone();
        var scratch = new float[layer.StepScratchSize(B)];
        float worst = 0;
        for (int t = 0; t < T; t++)
        {
            layer.Step(x.AsSpan(t * B * I, B * I), h, scratch, B);
            for (int i = 0; i < B * H; i++)
                worst = Math.Max(worst, Math.Abs(h[i] - y[t * B * H + i]));
        }
        Assert.True(worst <= StepTolerance, $"max |step − scan| = {worst}");
    }

    [Theory]
    [MemberData(nameof(Cells))]
    public void Variable_lengths_give_each_sequence_its_own_final_state_zero_padding_and_gradients(string cell)
    {
        const int T = 12, B = 3, I = 4, H = 5;
        int[] lengths = [12, 5, 1];
        var (layer, parameters) = Build(cell, I, H, 3);
        var rng = new Rng(4);
        var x = ScanReference.Uniform(rng, T * B * I, -2f, 2f);
        var h0 = ScanReference.Uniform(rng, B * H, 0f, 1f);
        var dy = ScanReference.Uniform(rng, T * B * H, -1f, 1f);
        var dhn = ScanReference.Uniform(rng, B * H, -1f, 1f);

        var y = new float[T * B * H];
        var hn = new float[B * H];
        var dx = new float[T * B * I];
        var dh0 = new float[B * H];
        var cache = layer.CreateCache(T, B);
        layer.Forward(cache, x, T, B, lengths, h0, y, hn);
        parameters.ZeroGrad();
        layer.Backward(cache, dy, dhn, dx, dh0);
        var grads = (float[])parameters.Grad.Clone();

        // Reference: each sequence alone, batch 1, its own length.
        var expectedGrads = new float[grads.Length];
        for (int b = 0; b < B; b++)
        {
            int n = lengths[b];
            var xb = new float[n * I];
            var dyb = new float[n * H];
            for (int t = 0; t < n; t++)
            {
                x.AsSpan((t * B + b) * I, I).CopyTo(xb.AsSpan(t * I));
                dy.AsSpan((t * B + b) * H, H).CopyTo(dyb.AsSpan(t * H));
            }
            var yb = new float[n * H];
            var hnb = new float[H];
            var dxb = new float[n * I];
            var dh0b = new float[H];
            var cb = layer.CreateCache(n, 1);
            layer.Forward(cb, xb, n, 1, [], h0.AsSpan(b * H, H), yb, hnb);
            parameters.ZeroGrad();
            layer.Backward(cb, dyb, dhn.AsSpan(b * H, H), dxb, dh0b);
            for (int i = 0; i < grads.Length; i++)
                expectedGrads[i] += parameters.Grad[i];

            for (int t = 0; t < T; t++)
            {
                for (int j = 0; j < H; j++)
                {
                    float expectedY = t < n ? yb[t * H + j] : 0f;
                    Assert.Equal(expectedY, y[(t * B + b) * H + j], StepTolerance);
                }
                for (int j = 0; j < I; j++)
                    Assert.Equal(t < n ? dxb[t * I + j] : 0f, dx[(t * B + b) * I + j], GradientTolerance);
            }
            for (int j = 0; j < H; j++)
            {
                Assert.Equal(hnb[j], hn[b * H + j], StepTolerance);
                Assert.Equal(dh0b[j], dh0[b * H + j], GradientTolerance);
            }
        }
        for (int i = 0; i < grads.Length; i++)
            Assert.Equal(expectedGrads[i], grads[i], GradientTolerance);
    }

    [Theory]
    [MemberData(nameof(Cells))]
    public void Outputs_and_gradients_do_not_depend_on_the_thread_count(string cell)
    {
        const int T = 40, B = 4, I = 8, H = 64;
        var (layer, parameters) = Build(cell, I, H, 5);
        var rng = new Rng(6);
        var x = ScanReference.Uniform(rng, T * B * I, -2f, 2f);
        var dy = ScanReference.Uniform(rng, T * B * H, -1f, 1f);
        float[]? firstY = null, firstGrad = null;
        for (int threads = 1; threads <= 3; threads++)
        {
            var y = new float[T * B * H];
            ScanReference.WithThreads(threads, () =>
            {
                var cache = layer.CreateCache(T, B);
                layer.Forward(cache, x, T, B, [], [], y, []);
                parameters.ZeroGrad();
                layer.Backward(cache, dy, [], [], []);
            });
            firstY ??= y;
            firstGrad ??= (float[])parameters.Grad.Clone();
            Assert.Equal(firstY, y);
            Assert.Equal(firstGrad, parameters.Grad);
        }
    }

    /// <summary>
    /// The forward with channels split over threads, where each thread projects the rows of its own channels a block of
    /// steps at a time, equals streaming step by step bit for bit: one step's product and kernels, on 1–3 threads, with
    /// parts that hold only some units of a row (H = 40 is 3 units of 16; B = 1 splits one row), over several blocks of
    /// steps (T = 100), with inputs of one K slice (up to 384) and of two and three (385, 800), each rounded into the
    /// projection after every 384-deep slice as a step's product is; and with a weight past 1 MB, projected whole first.
    /// </summary>
    [Theory]
    [InlineData("mingru", 1, 7, 40)]
    [InlineData("mingru", 3, 384, 40)]
    [InlineData("minlstm", 5, 385, 24)]
    [InlineData("minlstm", 2, 16, 40)]
    [InlineData("mingru", 2, 800, 40)]
    [InlineData("mingru", 2, 800, 400)]
    public void The_split_forward_equals_streaming_bit_for_bit(string cell, int B, int I, int H)
    {
        const int T = 100;
        var (layer, _) = Build(cell, I, H, 11);
        layer.ScanMethod = ScanMethod.Channels;
        var rng = new Rng(12);
        var x = ScanReference.Uniform(rng, T * B * I, -2f, 2f);
        var h0 = ScanReference.Uniform(rng, B * H, 0f, 1f);
        var expected = new float[T * B * H];
        var h = (float[])h0.Clone();
        var scratch = new float[layer.StepScratchSize(B)];
        for (int t = 0; t < T; t++)
        {
            layer.Step(x.AsSpan(t * B * I, B * I), h, scratch, B);
            h.CopyTo(expected, t * B * H);
        }
        for (int threads = 1; threads <= 3; threads++)
        {
            var y = new float[T * B * H];
            ScanReference.WithThreads(threads, () => layer.Forward(layer.CreateCache(T, B), x, T, B, [], h0, y, []));
            Assert.Equal(expected, y);
        }
    }

    [Fact]
    public void Truncated_backward_stops_the_recurrent_gradient_at_the_cut()
    {
        const int T = 10, B = 2, I = 3, H = 4, Cut = 6;
        var (layer, parameters) = Build("mingru", I, H, 7);
        var rng = new Rng(8);
        var x = ScanReference.Uniform(rng, T * B * I, -2f, 2f);
        var dy = new float[T * B * H];
        dy.AsSpan(Cut * B * H).Fill(1f);          // loss on steps ≥ cut only
        var cache = layer.CreateCache(T, B);
        layer.Forward(cache, x, T, B, [], [], new float[T * B * H], []);
        var dx = new float[T * B * I];
        layer.Backward(cache, dy, [], dx, [], truncateBefore: Cut);
        Assert.All(dx.AsSpan(0, Cut * B * I).ToArray(), v => Assert.Equal(0f, v));
        Assert.Contains(dx.AsSpan(Cut * B * I).ToArray(), v => v != 0f);

        Assert.Throws<InvalidOperationException>(() => layer.Backward(cache, dy, [], dx, []));   // each Forward serves one Backward

        var full = new float[T * B * I];
        layer.Forward(cache, x, T, B, [], [], new float[T * B * H], []);
        layer.Backward(cache, dy, [], full, []);
        Assert.Contains(full.AsSpan(0, Cut * B * I).ToArray(), v => v != 0f);
    }
}
