using Baton.Numerics;

namespace Baton.Lab.Bench.Rows;

/// <summary><c>sgemm-N</c>: C = A·B for square N×N float32 matrices (no transpose, beta = 0); 2N³ flops.</summary>
internal sealed class SgemmRows : IBenchRowFamily
{
    public IEnumerable<IBenchRow> Rows => [new SgemmRow(512), new SgemmRow(1024), new SgemmRow(2048)];

    private sealed class SgemmRow(int n) : IBenchRow
    {
        public string Name => $"sgemm-{n}";

        public string Description => $"square float32 matrix product {n}×{n}×{n}, GFLOP/s";

        public BenchWork Prepare()
        {
            var rng = new Rng(2048);
            var a = new float[n * n];
            var b = new float[n * n];
            var c = new float[n * n];
            for (int i = 0; i < a.Length; i++)
            {
                a[i] = rng.Uniform(-1, 1);
                b[i] = rng.Uniform(-1, 1);
            }
            return new BenchWork(() => Gemm.Sgemm(false, false, n, n, n, 1f, a, n, b, n, 0f, c, n), Flops: 2.0 * n * n * n);
        }
    }
}
