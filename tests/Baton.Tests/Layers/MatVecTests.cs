using Baton.Layers;
using Baton.Numerics;

namespace Baton.Tests.Layers;

public class MatVecTests
{
    /// <summary>
    /// A float32 dot product of length k is within about k · 2⁻²⁴ of the exact value relative to Σ|w·x|; the tests
    /// allow four times that bound (k + 3 terms: both operands, the bias and the accumulated y).
    /// </summary>
    private const double ErrorBoundFactor = 4 * 5.96e-8;

    private static readonly int[] ColumnCounts = [0, 1, 15, 16, 17, 127, 128, 129, 513];

    private static float[] Random(int length, ulong seed)
    {
        var rng = new Rng(seed);
        var x = new float[length];
        for (int i = 0; i < x.Length; i++)
            x[i] = rng.Uniform(-1, 1);
        return x;
    }

    /// <summary>Checks y[b, r] against y0[b, r]·(accumulate) + bias[r] + Σ wA·xA + Σ wB·xB in float64.</summary>
    private static void AssertProduct(string what, int rows, int batch, float[] wA, int colsA, float[] xA,
        float[]? wB, int colsB, float[]? xB, float[]? bias, float[] y0, float[] y, int ldy, bool accumulate)
    {
        for (int b = 0; b < batch; b++)
        {
            for (int r = 0; r < rows; r++)
            {
                double sum = 0, magnitude = 0;
                for (int k = 0; k < colsA; k++)
                {
                    double t = (double)wA[r * colsA + k] * xA[b * colsA + k];
                    sum += t;
                    magnitude += Math.Abs(t);
                }
                for (int k = 0; k < colsB; k++)
                {
                    double t = (double)wB![r * colsB + k] * xB![b * colsB + k];
                    sum += t;
                    magnitude += Math.Abs(t);
                }
                double extra = (bias is null ? 0 : bias[r]) + (accumulate ? y0[b * ldy + r] : 0);
                sum += extra;
                double bound = ErrorBoundFactor * (colsA + colsB + 3) * (magnitude + Math.Abs(extra)) + 1e-30;
                double actual = y[b * ldy + r];
                Assert.True(Math.Abs(actual - sum) <= bound,
                    $"{what}: y[{b},{r}] = {actual}, expected {sum} (bound {bound})");
            }
        }
        // Past each row of y (stride padding) nothing was written.
        for (int b = 0; b < batch; b++)
            for (int r = rows; r < ldy && b * ldy + r < y.Length; r++)
                Assert.Equal(y0[b * ldy + r], y[b * ldy + r]);
    }

    [Fact]
    public void Multiply_matches_a_float64_reference_on_every_path_row_count_and_column_count()
    {
        foreach (var path in SimdPaths.Supported)
        {
            foreach (int cols in ColumnCounts)
            {
                for (int rows = 0; rows <= 40; rows++)
                {
                    int batch = 1 + (rows + cols) % 5, ldy = rows + 3;
                    var w = Random(rows * cols, (ulong)(rows * 1000 + cols));
                    var x = Random(batch * cols, 7);
                    var y0 = Random(batch * ldy, 8);
                    foreach (bool accumulate in new[] { false, true })
                    {
                        var y = (float[])y0.Clone();
                        MatVec.Multiply(path, 1, w, rows, cols, x, batch, y, ldy, accumulate);
                        AssertProduct($"{path} {rows}×{cols} B={batch} accumulate={accumulate}", rows, batch, w, cols, x,
                            null, 0, null, null, y0, y, ldy, accumulate);
                    }
                }
            }
        }
    }

    [Fact]
    public void MultiplyAdd_matches_a_float64_reference_on_every_path_with_both_operands_and_the_bias()
    {
        foreach (var path in SimdPaths.Supported)
        {
            foreach (int colsA in ColumnCounts)
            {
                foreach (int colsB in new[] { 0, 17, 128 })
                {
                    foreach (int rows in new[] { 0, 1, 7, 16, 23, 40 })
                    {
                        int batch = 1 + (rows + colsA + colsB) % 5, ldy = rows + 1;
                        var wA = Random(rows * colsA, 11);
                        var xA = Random(batch * colsA, 12);
                        var wB = Random(rows * colsB, 13);
                        var xB = Random(batch * colsB, 14);
                        var bias = Random(rows, 15);
                        var y0 = Random(batch * ldy, 16);
                        var y = (float[])y0.Clone();
                        MatVec.MultiplyAdd(path, 1, wA, colsA, xA, wB, colsB, xB, bias, rows, batch, y, ldy);
                        AssertProduct($"{path} {rows}×({colsA}+{colsB}) B={batch}", rows, batch, wA, colsA, xA,
                            wB, colsB, xB, bias, y0, y, ldy, accumulate: false);
                    }
                }
            }
        }
    }

    [Fact]
    public void MultiplyPair_matches_two_separate_products_on_every_path()
    {
        foreach (var path in SimdPaths.Supported)
        {
            foreach (int rows in new[] { 1, 15, 33 })
            {
                int colsA = 129, colsB = 48, batch = 3;
                var wA = Random(rows * colsA, 21);
                var xA = Random(batch * colsA, 22);
                var bias = Random(rows, 23);
                var wB = Random(rows * colsB, 24);
                var xB = Random(batch * colsB, 25);
                var yA = new float[batch * rows];
                var yB = new float[batch * rows];
                MatVec.MultiplyPair(path, 1, wA, colsA, xA, bias, yA, wB, colsB, xB, yB, rows, batch);
                AssertProduct($"{path} first of pair {rows}", rows, batch, wA, colsA, xA, null, 0, null, bias,
                    new float[yA.Length], yA, rows, accumulate: false);
                AssertProduct($"{path} second of pair {rows}", rows, batch, wB, colsB, xB, null, 0, null, null,
                    new float[yB.Length], yB, rows, accumulate: false);
            }
        }
    }

    [Fact]
    public void A_row_is_computed_the_same_way_whatever_its_place_in_the_matrix()
    {
        // Row r of a matrix and row 0 of the matrix that starts at row r go through different blocks and lanes.
        const int Rows = 37, Cols = 129, Batch = 2;
        var w = Random(Rows * Cols, 31);
        var x = Random(Batch * Cols, 32);
        foreach (var path in SimdPaths.Supported)
        {
            var full = new float[Batch * Rows];
            MatVec.Multiply(path, 1, w, Rows, Cols, x, Batch, full, Rows, accumulate: false);
            for (int r = 1; r < Rows; r++)
            {
                var part = new float[Batch * (Rows - r)];
                MatVec.Multiply(path, 1, w.AsSpan(r * Cols), Rows - r, Cols, x, Batch, part, Rows - r, accumulate: false);
                for (int b = 0; b < Batch; b++)
                    Assert.Equal(full.AsSpan(b * Rows + r, Rows - r).ToArray(), part.AsSpan(b * (Rows - r), Rows - r).ToArray());
            }
        }
    }

    [Theory]
    [InlineData(128)]
    [InlineData(512)]
    public void Weights_at_any_address_give_the_same_bits(int cols)
    {
        // Rows off the 64-byte grid take aligned loads and a permute on the Vector512 path: the sums must not change.
        const int Rows = 40, Batch = 2;
        var w = Random(Rows * cols, 41);
        var x = Random(Batch * cols, 42);
        var bias = Random(Rows, 43);
        foreach (var path in SimdPaths.Supported)
        {
            float[]? first = null;
            for (int offset = 0; offset < 16; offset++)
            {
                var shifted = new float[Rows * cols + 16];
                w.CopyTo(shifted, offset);
                var y = new float[Batch * Rows];
                MatVec.MultiplyAdd(path, 1, shifted.AsSpan(offset, Rows * cols), cols, x, shifted.AsSpan(offset, Rows * cols), cols, x,
                    bias, Rows, Batch, y, Rows);
                if (first is null)
                {
                    first = y;
                    AssertProduct($"{path} offset {offset}", Rows, Batch, w, cols, x, w, cols, x, bias, new float[y.Length], y, Rows, false);
                }
                else
                {
                    Assert.Equal(first, y);
                }
            }
        }
    }

    [Theory]
    [InlineData(300, 513, 1)]
    [InlineData(512, 128, 1)]
    [InlineData(2048, 64, 3)]
    [InlineData(77, 1024, 2)]
    public void One_two_and_three_threads_give_the_same_bits(int rows, int cols, int batch)
    {
        var wA = Random(rows * cols, 51);
        var xA = Random(batch * cols, 52);
        var wB = Random(rows * 96, 53);
        var xB = Random(batch * 96, 54);
        var bias = Random(rows, 55);
        foreach (var path in SimdPaths.Supported)
        {
            float[][] Run(int threads)
            {
                var y = Random(batch * rows, 56);
                MatVec.Multiply(path, threads, wA, rows, cols, xA, batch, y, rows, accumulate: true);
                var sum = new float[batch * rows];
                MatVec.MultiplyAdd(path, threads, wA, cols, xA, wB, 96, xB, bias, rows, batch, sum, rows);
                var yA = new float[batch * rows];
                var yB = new float[batch * rows];
                MatVec.MultiplyPair(path, threads, wA, cols, xA, bias, yA, wB, 96, xB, yB, rows, batch);
                return [y, sum, yA, yB];
            }
            var one = Run(1);
            Assert.Equal(one, Run(2));
            Assert.Equal(one, Run(3));
        }
    }

    [Fact]
    public void Short_operands_are_rejected_by_name()
    {
        var w = new float[12];
        var x = new float[4];
        var y = new float[3];
        Assert.Equal("w", Assert.Throws<ArgumentException>(() => MatVec.Multiply(w, 4, 4, x, 1, y, 3, false)).ParamName);
        Assert.Equal("x", Assert.Throws<ArgumentException>(() => MatVec.Multiply(w, 3, 4, x, 2, y, 3, false)).ParamName);
        Assert.Equal("y", Assert.Throws<ArgumentException>(() => MatVec.Multiply(w, 3, 4, x, 1, new float[2], 3, false)).ParamName);
        Assert.Equal("bias", Assert.Throws<ArgumentException>(() =>
            MatVec.MultiplyAdd(w, 4, x, w, 4, x, new float[2], 3, 1, y, 3)).ParamName);
    }
}
