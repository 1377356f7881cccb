using System.Numerics.Tensors;
using Baton.Layers;
using Baton.Numerics;

namespace Baton.Bench.Rows;

/// <summary>
/// <c>mingru-512</c>: train minGRU B=64 T=512 I=H=256 L=1 through <see cref="RecurrentStack"/> (CellKind.MinGru), the
/// parallel-in-time twin of <c>gru-512</c>: one step = Forward over T, loss = mean(y²), Backward (no input gradient),
/// one SGD update. GFLOP/s counts the three projection GEMMs, 3 · 2·B·T·2H·I (minGRU has no recurrent product).
/// </summary>
internal sealed class MinGruRow : IBenchRow
{
    private const int B = 64, T = 512, I = 256, H = 256;
    private const float LearningRate = 1e-3f;

    public string Name => "mingru-512";

    public string Description => $"train MinGru B={B} T={T} I={I} H={H} L=1: forward (scan), mean(y²), backward, SGD";

    public BenchWork Prepare()
    {
        var p = new Parameters();
        var stack = new RecurrentStack(new RecurrentOptions(CellKind.MinGru, I, H), p);
        p.Freeze();
        var rng = new Rng(1);
        stack.ResetParameters(rng);
        var x = new float[T * B * I];
        for (int i = 0; i < x.Length; i++)
            x[i] = rng.Uniform(-1, 1);
        var ws = stack.CreateWorkspace(T, B);
        var y = new float[T * B * H];
        var dy = new float[y.Length];
        float scale = 2f / y.Length;
        void Step()
        {
            stack.Forward(ws, x, T, B, [], [], [], y, [], [], training: true);
            TensorPrimitives.Multiply(y, scale, dy); // d mean(y²) / dy
            p.ZeroGrad();
            stack.Backward(ws, dy, [], [], [], [], []);
            TensorPrimitives.MultiplyAdd(p.Grad, -LearningRate, p.Data, p.Data);
        }
        return new BenchWork(Step, Flops: 3 * 2.0 * B * T * 2 * H * I, Tokens: (double)B * T, Steps: T);
    }
}
