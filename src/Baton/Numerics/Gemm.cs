namespace Baton.Numerics;

/// <summary>
/// Single-precision matrix products on row-major storage.
/// </summary>
public static partial class Gemm
{
    /// <summary>
    /// C = alpha · op(A) · op(B) + beta · C, where op(A) is m×k and op(B) is k×n, all row-major.
    /// op(X) = Xᵀ when the matching <c>trans</c> flag is set (A then stored k×m, B stored n×k).
    /// With beta = 0, C is overwritten (NaN in C is not propagated).
    /// Results are bit-identical for every <see cref="Threads.Count"/>.
    /// </summary>
    public static void Sgemm(bool transA, bool transB, int m, int n, int k, float alpha,
        ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb,
        float beta, Span<float> c, int ldc)
    {
        // Reference implementation: replaced by the packed SIMD kernel.
        for (int i = 0; i < m; i++)
        {
            for (int j = 0; j < n; j++)
            {
                float sum = 0;
                for (int p = 0; p < k; p++)
                {
                    float av = transA ? a[p * lda + i] : a[i * lda + p];
                    float bv = transB ? b[j * ldb + p] : b[p * ldb + j];
                    sum += av * bv;
                }
                ref float cij = ref c[i * ldc + j];
                cij = beta == 0 ? alpha * sum : alpha * sum + beta * cij;
            }
        }
    }
}
