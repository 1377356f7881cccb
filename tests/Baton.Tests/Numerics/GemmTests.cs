using Baton.Numerics;

namespace Baton.Tests.Numerics;

public class GemmTests
{
    /// <summary>
    /// A float32 dot product of length k is within about k · 2⁻²⁴ of the exact value relative to Σ|a·b|;
    /// the tests allow four times that standard bound (plus the rounding of beta·C).
    /// </summary>
    private const double ErrorBoundFactor = 4 * 5.96e-8;

    public static TheoryData<int, int, int> Shapes => new()
    {
        { 1, 1, 1 },
        { 1, 1, 300 },
        { 7, 13, 5 },
        { 257, 129, 65 },
        { 6, 64, 600 },
    };

    private static float[] Random(int length, ulong seed)
    {
        var rng = new Rng(seed);
        var x = new float[length];
        for (int i = 0; i < x.Length; i++)
            x[i] = rng.Uniform(-1, 1);
        return x;
    }

    /// <summary>Checks C against alpha·op(A)·op(B) + beta·C0 in float64, element by element, scaled by magnitude.</summary>
    private static void AssertProduct(bool transA, bool transB, int m, int n, int k, float alpha, float[] a, int lda,
        float[] b, int ldb, float beta, float[] c0, float[] c, int ldc)
    {
        for (int i = 0; i < m; i++)
        {
            for (int j = 0; j < n; j++)
            {
                double sum = 0, magnitude = 0;
                for (int p = 0; p < k; p++)
                {
                    double av = transA ? a[p * lda + i] : a[i * lda + p];
                    double bv = transB ? b[j * ldb + p] : b[p * ldb + j];
                    sum += av * bv;
                    magnitude += Math.Abs(av * bv);
                }
                double expected = alpha * sum + (beta == 0 ? 0 : beta * (double)c0[i * ldc + j]);
                double bound = ErrorBoundFactor * ((k + 2) * Math.Abs(alpha) * magnitude + 2 * Math.Abs(beta * c0[i * ldc + j])) + 1e-30;
                double actual = c[i * ldc + j];
                Assert.True(Math.Abs(actual - expected) <= bound,
                    $"C[{i},{j}] = {actual}, expected {expected} (bound {bound}) for transA={transA} transB={transB} {m}×{n}×{k}");
            }
        }
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Sgemm_matches_a_float64_reference_on_every_path_transpose_and_beta(int m, int n, int k)
    {
        foreach (var path in SimdPaths.Supported)
        {
            foreach (bool transA in new[] { false, true })
            {
                foreach (bool transB in new[] { false, true })
                {
                    foreach (float beta in new[] { 0f, 1f, -0.5f })
                    {
                        const float alpha = 1.75f;
                        int lda = transA ? m : k, ldb = transB ? k : n, ldc = n;
                        // Exact-size arrays: any read or write past the matrices throws.
                        var a = Random(transA ? k * m : m * k, 1);
                        var b = Random(transB ? n * k : k * n, 2);
                        var c0 = Random(m * n, 3);
                        var c = (float[])c0.Clone();
                        Gemm.Sgemm(path, 2, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
                        AssertProduct(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c0, c, ldc);
                    }
                }
            }
        }
    }

    [Fact]
    public void Every_tile_edge_on_every_path_matches_a_float64_reference()
    {
        // Rows 1..13 cover every micro-tile height (1..6) and a full tile plus each remainder; columns 1..65 every
        // remainder of the 4-, 8-, 16-, 32- and 64-column tiles; k = 385 crosses a K slice.
        foreach (var path in SimdPaths.Supported)
        {
            foreach (int k in new[] { 1, 385 })
            {
                var a = Random(13 * k, 20);
                var b = Random(k * 65, 21);
                var packed = new PackedMatrix(k, 65, path);
                packed.Pack(b, 65, transB: false);
                for (int m = 1; m <= 13; m++)
                {
                    for (int n = 1; n <= 65; n++)
                    {
                        var c0 = Random(m * n, 22);
                        var c = (float[])c0.Clone();
                        Gemm.Sgemm(path, 1, false, false, m, n, k, 1.5f, a, k, b, 65, -0.5f, c, n);
                        AssertProduct(false, false, m, n, k, 1.5f, a, k, b, 65, -0.5f, c0, c, n);
                        // The packed product over columns [65 − n, 65): every offset of a tile's first column.
                        var wide = Random(m * 65, 23);
                        var packedC = (float[])wide.Clone();
                        Gemm.SgemmPacked(1, m, 1.5f, a, k, packed, -0.5f, packedC, 65, 65 - n, n);
                        AssertProduct(false, false, m, n, k, 1.5f, a, k, Columns(b, k, 65, 65 - n), n, -0.5f,
                            Columns(wide, m, 65, 65 - n), Columns(packedC, m, 65, 65 - n), n);
                        for (int i = 0; i < m; i++)
                            for (int j = 0; j < 65 - n; j++)
                                Assert.Equal(wide[i * 65 + j], packedC[i * 65 + j]);
                    }
                }
            }
        }
    }

    [Fact]
    public void Products_that_cross_the_packed_block_edges_match_a_float64_reference_on_every_path()
    {
        // n = 530 crosses the 256- and 512-column blocks of op(B), k = 800 two K slices, m = 3100 the 3072-row block of op(A).
        foreach (var (m, n, k) in new[] { (37, 530, 800), (3100, 20, 9) })
        {
            var a = Random(m * k, 24);
            var b = Random(k * n, 25);
            var c0 = Random(m * n, 26);
            foreach (var path in SimdPaths.Supported)
            {
                var c = (float[])c0.Clone();
                Gemm.Sgemm(path, 2, false, false, m, n, k, 1f, a, k, b, n, 1f, c, n);
                AssertProduct(false, false, m, n, k, 1f, a, k, b, n, 1f, c0, c, n);
            }
        }
    }

    /// <summary>Columns [first, cols) of a rows × cols row-major matrix, as a matrix of their own.</summary>
    private static float[] Columns(float[] x, int rows, int cols, int first)
    {
        var part = new float[rows * (cols - first)];
        for (int i = 0; i < rows; i++)
            Array.Copy(x, i * cols + first, part, i * (cols - first), cols - first);
        return part;
    }

    [Fact]
    public void Sgemm_with_beta_zero_overwrites_nan_in_c()
    {
        var a = Random(3 * 4, 1);
        var b = Random(4 * 5, 2);
        var c = Enumerable.Repeat(float.NaN, 15).ToArray();
        Gemm.Sgemm(false, false, 3, 5, 4, 1f, a, 4, b, 5, 0f, c, 5);
        AssertProduct(false, false, 3, 5, 4, 1f, a, 4, b, 5, 0f, new float[15], c, 5);
    }

    [Fact]
    public void Sgemm_honours_leading_dimensions_larger_than_the_matrices()
    {
        int m = 9, n = 70, k = 11, lda = 13, ldb = 75, ldc = 80;
        var a = Random((m - 1) * lda + k, 4);
        var b = Random((k - 1) * ldb + n, 5);
        var c0 = Random((m - 1) * ldc + n, 6);
        var c = (float[])c0.Clone();
        Gemm.Sgemm(false, false, m, n, k, -1f, a, lda, b, ldb, 1f, c, ldc);
        AssertProduct(false, false, m, n, k, -1f, a, lda, b, ldb, 1f, c0, c, ldc);
        for (int i = 0; i < m - 1; i++)
            for (int j = n; j < ldc; j++)
                Assert.Equal(c0[i * ldc + j], c[i * ldc + j]);
    }

    [Theory]
    [InlineData(false, false)]
    [InlineData(true, true)]
    public void Sgemm_is_bit_identical_for_one_two_and_three_threads(bool transA, bool transB)
    {
        // (37, 530, 800): split by columns across three K slices, with a last row panel of one row.
        foreach (var (m, n, k) in new[] { (257, 300, 70), (40, 1000, 300), (700, 20, 33), (37, 530, 800) })
        {
            var a = Random(m * k, 7);
            var b = Random(k * n, 8);
            var c0 = Random(m * n, 9);
            float[]? first = null;
            foreach (int threads in new[] { 1, 2, 3 })
            {
                var c = (float[])c0.Clone();
                Gemm.Sgemm(SimdPaths.Best, threads, transA, transB, m, n, k, 0.5f, a, transA ? m : k, b, transB ? k : n, 1f, c, n);
                if (first is null)
                    first = c;
                else
                    Assert.Equal(first, c);
            }
        }
    }

    [Theory]
    [InlineData(1, 64)]
    [InlineData(1, 300)]
    [InlineData(8, 128)]
    [InlineData(13, 100)]
    [InlineData(64, 33)]
    public void Packed_product_matches_the_reference_and_is_the_same_for_any_thread_count_or_column_slicing(int m, int h)
    {
        int n = 4 * h;
        var w = Random(n * h, 10); // [N, K] row-major: used as Wᵀ
        var x = Random(m * h, 11);
        var c0 = Random(m * n, 12);
        foreach (var path in SimdPaths.Supported)
        {
            var packed = new PackedMatrix(h, n, path);
            packed.Pack(w, h, transB: true);
            float[]? first = null;
            foreach (int threads in new[] { 1, 2, 3 })
            {
                var c = (float[])c0.Clone();
                Gemm.SgemmPacked(threads, m, 0.75f, x, h, packed, 1f, c, n, 0, n);
                AssertProduct(false, true, m, n, h, 0.75f, x, h, w, h, 1f, c0, c, n);
                if (first is null)
                    first = c;
                else
                    Assert.Equal(first, c);
            }
            // Three uneven column slices computed separately give the same bits as the whole product.
            var sliced = (float[])c0.Clone();
            int cut1 = n / 3 + 1, cut2 = 2 * n / 3 + 5;
            Gemm.SgemmPacked(1, m, 0.75f, x, h, packed, 1f, sliced, n, 0, cut1);
            Gemm.SgemmPacked(1, m, 0.75f, x, h, packed, 1f, sliced, n, cut1, cut2 - cut1);
            Gemm.SgemmPacked(1, m, 0.75f, x, h, packed, 1f, sliced, n, cut2, n - cut2);
            Assert.Equal(first, sliced);
            // The same units of all four gates in one call (A packed once) give the same bits, and touch nothing else.
            int j0 = h / 3, units = Math.Max(1, h / 2);
            var gates = (float[])c0.Clone();
            Gemm.Sgemm(m, 0.75f, x, h, packed, 1f, gates, n, j0, units, groups: 4, groupStride: h);
            for (int i = 0; i < m; i++)
                for (int j = 0; j < n; j++)
                {
                    bool inside = j % h >= j0 && j % h < j0 + units;
                    Assert.Equal(inside ? first![i * n + j] : c0[i * n + j], gates[i * n + j]);
                }
            Assert.Throws<ArgumentOutOfRangeException>(() =>
                Gemm.Sgemm(m, 0.75f, x, h, packed, 1f, gates, n, j0 + 1, h - j0, groups: 4, groupStride: h));
        }
    }

    /// <summary>
    /// A packed product rounded by K slices equals the general product bit for bit (K = 800: slices of 384, 384 and 32,
    /// beta = 0 and 1, rows that are not a whole number of tiles), on every path, whole and as gate groups of a few units
    /// (which touch nothing else); rounded once it differs in some element, so the option is what makes them agree.
    /// </summary>
    [Fact]
    public void A_packed_product_rounded_by_slices_equals_the_general_product()
    {
        const int m = 13, k = 800, h = 24, n = 3 * h;
        var w = Random(n * k, 21);
        var x = Random(m * k, 22);
        var c0 = Random(m * n, 23);
        foreach (var path in SimdPaths.Supported)
            foreach (float beta in new[] { 0f, 1f })
            {
                var expected = (float[])c0.Clone();
                Gemm.Sgemm(path, 1, false, true, m, n, k, 1f, x, k, w, k, beta, expected, n);
                var packed = new PackedMatrix(k, n, path);
                packed.Pack(w, k, transB: true);
                var whole = (float[])c0.Clone();
                Gemm.Sgemm(m, 1f, x, k, packed, beta, whole, n, 0, n, 1, n, bySlice: true);
                Assert.Equal(expected, whole);
                var gates = (float[])c0.Clone();
                Gemm.Sgemm(m, 1f, x, k, packed, beta, gates, n, 5, 9, groups: 3, groupStride: h, bySlice: true);
                for (int i = 0; i < m; i++)
                    for (int j = 0; j < n; j++)
                        Assert.Equal(j % h is >= 5 and < 14 ? expected[i * n + j] : c0[i * n + j], gates[i * n + j]);
                var once = (float[])c0.Clone();
                Gemm.Sgemm(m, 1f, x, k, packed, beta, once, n, 0, n, 1, n);
                Assert.NotEqual(expected, once);
            }
    }

    [Fact]
    public void Packed_matrix_from_an_untransposed_b_matches_the_reference()
    {
        int m = 5, k = 19, n = 150;
        var b = Random(k * n, 13);
        var a = Random(m * k, 14);
        var packed = new PackedMatrix(b, n, k, n, transB: false);
        var c = new float[m * n];
        Gemm.Sgemm(m, 2f, a, k, packed, 0f, c, n);
        AssertProduct(false, false, m, n, k, 2f, a, k, b, n, 0f, new float[m * n], c, n);
        var slice = new float[m * n];
        Gemm.Sgemm(m, 2f, a, k, packed, 0f, slice, n, 70, 80);
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
                Assert.Equal(j >= 70 ? c[i * n + j] : 0f, slice[i * n + j]);
    }

    [Fact]
    public void Repacking_replaces_the_weights()
    {
        int k = 8, n = 70;
        var first = Random(n * k, 15);
        var second = Random(n * k, 16);
        var packed = new PackedMatrix(first, k, k, n, transB: true);
        packed.Pack(second, k, transB: true);
        var a = Random(k, 17);
        var c = new float[n];
        Gemm.Sgemm(1, 1f, a, k, packed, 0f, c, n);
        AssertProduct(false, true, 1, n, k, 1f, a, k, second, k, 0f, new float[n], c, n);
    }

    [Fact]
    public void Sgemm_with_k_zero_scales_c_by_beta()
    {
        var c = new[] { 1f, 2f, 3f, 4f };
        Gemm.Sgemm(false, false, 2, 2, 0, 1f, [], 1, [], 2, 0.5f, c, 2);
        Assert.Equal(new[] { 0.5f, 1f, 1.5f, 2f }, c);
    }

    [Fact]
    public void Bad_sizes_throw_argument_exceptions_naming_the_argument()
    {
        var a = new float[6];
        var b = new float[6];
        var c = new float[4];
        Assert.Equal("a", Assert.Throws<ArgumentException>(() => Gemm.Sgemm(false, false, 2, 2, 4, 1f, a, 4, b, 2, 0f, c, 2)).ParamName);
        Assert.Equal("b", Assert.Throws<ArgumentException>(() => Gemm.Sgemm(false, false, 2, 2, 3, 1f, a, 3, new float[5], 2, 0f, c, 2)).ParamName);
        Assert.Equal("c", Assert.Throws<ArgumentException>(() => Gemm.Sgemm(false, false, 2, 2, 3, 1f, a, 3, b, 2, 0f, new float[3], 2)).ParamName);
        Assert.Equal("lda", Assert.Throws<ArgumentException>(() => Gemm.Sgemm(false, false, 2, 2, 3, 1f, a, 2, b, 2, 0f, c, 2)).ParamName);
        Assert.Equal("ldb", Assert.Throws<ArgumentException>(() => Gemm.Sgemm(false, true, 2, 2, 3, 1f, a, 3, b, 2, 0f, c, 2)).ParamName);
        Assert.Equal("ldc", Assert.Throws<ArgumentException>(() => Gemm.Sgemm(false, false, 2, 2, 3, 1f, a, 3, b, 2, 0f, c, 1)).ParamName);
        Assert.Equal("m", Assert.Throws<ArgumentOutOfRangeException>(() => Gemm.Sgemm(false, false, -1, 2, 3, 1f, a, 3, b, 2, 0f, c, 2)).ParamName);
        var packed = new PackedMatrix(3, 2);
        Assert.Equal("b", Assert.Throws<ArgumentException>(() => packed.Pack(new float[5], 3, transB: true)).ParamName);
        Assert.Equal("a", Assert.Throws<ArgumentException>(() => Gemm.Sgemm(2, 1f, new float[5], 3, packed, 0f, c, 2)).ParamName);
        Assert.Equal("c", Assert.Throws<ArgumentException>(() => Gemm.Sgemm(2, 1f, a, 3, packed, 0f, new float[3], 2)).ParamName);
        Assert.Equal("colCount", Assert.Throws<ArgumentOutOfRangeException>(() => Gemm.Sgemm(2, 1f, a, 3, packed, 0f, c, 2, 1, 2)).ParamName);
    }
}
