using Baton.Numerics;

namespace Baton.Lab.Bench.Rows;

/// <summary>
/// <c>recurrent-step-m{M}-h{H}</c>: the recurrent product of one LSTM time step, C[M, 4H] = h[M, H] · W_hhᵀ with
/// W_hh [4H, H] packed once (<see cref="PackedMatrix"/>); 2·M·4H·H flops, and gb_s counts the weight bytes
/// read per step (compare M = 1 with <c>cache-read</c>).
/// </summary>
internal sealed class RecurrentStepRows : IBenchRowFamily
{
    /// <summary>Batch sizes of the sweep.</summary>
    public static readonly int[] Batches = [1, 8, 32, 64];

    /// <summary>Hidden sizes of the sweep.</summary>
    public static readonly int[] Hiddens = [64, 128, 256, 512, 1024];

    public IEnumerable<IBenchRow> Rows =>
        from m in Batches
        from h in Hiddens
        select (IBenchRow)new RecurrentStepRow(m, h);

    private sealed class RecurrentStepRow(int m, int h) : IBenchRow
    {
        public string Name => $"recurrent-step-m{m}-h{h}";

        public string Description => $"packed recurrent product [{m},{h}]·[{h},{4 * h}], GFLOP/s and weight GB/s";

        public BenchWork Prepare()
        {
            int n = 4 * h;
            var rng = new Rng(4);
            var weight = new float[n * h];
            var state = new float[m * h];
            var gates = new float[m * n];
            float bound = 1 / MathF.Sqrt(h);
            for (int i = 0; i < weight.Length; i++)
                weight[i] = rng.Uniform(-bound, bound);
            for (int i = 0; i < state.Length; i++)
                state[i] = rng.Uniform(-1, 1);
            var packed = new PackedMatrix(weight, h, h, n, transB: true);
            return new BenchWork(() => Gemm.Sgemm(m, 1f, state, h, packed, 0f, gates, n),
                Flops: 2.0 * m * n * h, Bytes: 4.0 * n * h);
        }
    }
}
