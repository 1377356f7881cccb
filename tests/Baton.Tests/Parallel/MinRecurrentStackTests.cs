using Baton.Layers;
using Baton.Numerics;

namespace Baton.Tests.Parallel;

/// <summary>minGRU / minLSTM as cells of <see cref="RecurrentStack"/>.</summary>
public class MinRecurrentStackTests
{
    private const double ForwardRelativeTolerance = 1e-5;
    private const double GradientRelativeTolerance = 1e-4;
    private const float Tolerance = 1e-5f;

    [Theory]
    [InlineData("mingru_l2.json", CellKind.MinGru)]
    [InlineData("minlstm_l2.json", CellKind.MinLstm)]
    internal void Two_layer_stack_matches_pytorch_under_the_reference_tensor_names(string file, CellKind cell)
    {
        var f = MinRecurrenceGoldenTests.Fixture.Load(file);
        int T = f.T, B = f.B, H = f.H, L = f.Layers;
        var parameters = new Parameters();
        var stack = new RecurrentStack(new RecurrentOptions(cell, f.I, H, L), parameters);
        parameters.Freeze();
        Assert.Equal(f.Parameters.Keys.Order(), parameters.Tensors.Select(t => t.Name).Order());
        foreach (var tensor in parameters.Tensors)
            f.Parameters[tensor.Name].CopyTo(parameters.Value(tensor));

        var ws = stack.CreateWorkspace(T, B);
        var y = new float[T * B * H];
        var hn = new float[L * B * H];
        stack.Forward(ws, f.X, T, B, [], f.H0, [], y, hn, []);
        MinRecurrenceGoldenTests.AssertClose(f.Y, y, ForwardRelativeTolerance, "y");
        MinRecurrenceGoldenTests.AssertClose(f.Hn, hn, ForwardRelativeTolerance, "hn");

        var dx = new float[T * B * f.I];
        var dh0 = new float[L * B * H];
        stack.Backward(ws, f.Wy, f.Wn, [], dx, dh0, []);
        MinRecurrenceGoldenTests.AssertClose(f.Dx, dx, GradientRelativeTolerance, "dx");
        MinRecurrenceGoldenTests.AssertClose(f.Dh0, dh0, GradientRelativeTolerance, "dh0");
        foreach (var tensor in parameters.Tensors)
            MinRecurrenceGoldenTests.AssertClose(f.Gradients[tensor.Name], parameters.Gradient(tensor).ToArray(), GradientRelativeTolerance, tensor.Name);
    }

    [Theory]
    [InlineData(CellKind.MinGru, 0)]
    [InlineData(CellKind.MinLstm, 0)]
    [InlineData(CellKind.MinGru, 3)]
    internal void Bidirectional_variable_length_batch_equals_each_sequence_run_alone(CellKind cell, int truncateBefore)
    {
        const int T = 7, B = 3, I = 4, H = 5, L = 2, D = 2, O = H * D;
        int[] lengths = [4, 7, 2];
        var parameters = new Parameters();
        var stack = new RecurrentStack(new RecurrentOptions(cell, I, H, L, Bidirectional: true), parameters);
        parameters.Freeze();
        stack.ResetParameters(new Rng(21));
        Assert.Contains(parameters.Tensors, t => t.Name == "rnn.layers_reverse.1." + (cell == CellKind.MinGru ? "to_hidden_and_gate" : "to_hidden_and_f_i_gate") + ".weight");

        var rng = new Rng(22);
        var x = ScanReference.Uniform(rng, T * B * I, -2f, 2f);
        var h0 = ScanReference.Uniform(rng, L * D * B * H, 0f, 1f);
        var dy = ScanReference.Uniform(rng, T * B * O, -1f, 1f);
        var dhn = ScanReference.Uniform(rng, L * D * B * H, -1f, 1f);

        var y = new float[T * B * O];
        var hn = new float[L * D * B * H];
        var dx = new float[T * B * I];
        var dh0 = new float[L * D * B * H];
        var ws = stack.CreateWorkspace(T, B);
        stack.Forward(ws, x, T, B, lengths, h0, [], y, hn, []);
        parameters.ZeroGrad();
        stack.Backward(ws, dy, dhn, [], dx, dh0, [], truncateBefore);
        var grads = (float[])parameters.Grad.Clone();

        var expectedGrads = new float[grads.Length];
        for (int b = 0; b < B; b++)
        {
            int n = lengths[b];
            float[] Seq(float[] src, int width) // [T, B, width] → [n, 1, width]
            {
                var dst = new float[n * width];
                for (int t = 0; t < n; t++)
                    src.AsSpan((t * B + b) * width, width).CopyTo(dst.AsSpan(t * width));
                return dst;
            }
            float[] State(float[] src) // [L·D, B, H] → [L·D, 1, H]
            {
                var dst = new float[L * D * H];
                for (int ld = 0; ld < L * D; ld++)
                    src.AsSpan((ld * B + b) * H, H).CopyTo(dst.AsSpan(ld * H));
                return dst;
            }
            var yb = new float[n * O];
            var hnb = new float[L * D * H];
            var dxb = new float[n * I];
            var dh0b = new float[L * D * H];
            var wsb = stack.CreateWorkspace(n, 1);
            stack.Forward(wsb, Seq(x, I), n, 1, [], State(h0), [], yb, hnb, []);
            parameters.ZeroGrad();
            stack.Backward(wsb, Seq(dy, O), State(dhn), [], dxb, dh0b, [], Math.Min(truncateBefore, n));
            for (int i = 0; i < grads.Length; i++)
                expectedGrads[i] += parameters.Grad[i];

            for (int t = 0; t < T; t++)
            {
                for (int j = 0; j < O; j++)
                    Assert.Equal(t < n ? yb[t * O + j] : 0f, y[(t * B + b) * O + j], Tolerance);
                for (int j = 0; j < I; j++)
                    Assert.Equal(t < n ? dxb[t * I + j] : 0f, dx[(t * B + b) * I + j], Tolerance);
            }
            var hnExpected = hnb;
            var dh0Expected = dh0b;
            for (int ld = 0; ld < L * D; ld++)
            {
                for (int j = 0; j < H; j++)
                {
                    Assert.Equal(hnExpected[ld * H + j], hn[(ld * B + b) * H + j], Tolerance);
                    Assert.Equal(dh0Expected[ld * H + j], dh0[(ld * B + b) * H + j], Tolerance);
                }
            }
        }
        for (int i = 0; i < grads.Length; i++)
            Assert.Equal(expectedGrads[i], grads[i], Tolerance);
    }

    [Theory]
    [InlineData(CellKind.MinGru)]
    [InlineData(CellKind.MinLstm)]
    internal void Streaming_steps_reproduce_the_stack_forward(CellKind cell)
    {
        const int T = 64, B = 2, I = 6, H = 32, L = 2;
        var parameters = new Parameters();
        var stack = new RecurrentStack(new RecurrentOptions(cell, I, H, L), parameters);
        parameters.Freeze();
        stack.ResetParameters(new Rng(31));
        var x = ScanReference.Uniform(new Rng(32), T * B * I, -2f, 2f);
        var y = new float[T * B * H];
        stack.Forward(stack.CreateWorkspace(T, B), x, T, B, [], [], [], y, [], []);

        var state = stack.CreateStreamState(B);
        var step = new float[B * H];
        float worst = 0;
        for (int t = 0; t < T; t++)
        {
            stack.Step(state, x.AsSpan(t * B * I, B * I), step);
            for (int i = 0; i < B * H; i++)
                worst = Math.Max(worst, Math.Abs(step[i] - y[t * B * H + i]));
        }
        Assert.True(worst <= Tolerance, $"max |step − forward| = {worst}");
    }
}
