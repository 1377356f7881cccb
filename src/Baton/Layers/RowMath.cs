using System.Numerics.Tensors;

namespace Baton.Layers;

/// <summary>Row-wise helpers shared by the layers (bias broadcast and bias gradients).</summary>
internal static class RowMath
{
    /// <summary>m[r, :] += bias for r in 0..rows-1; m is [rows, bias.Length].</summary>
    public static void AddBias(Span<float> m, int rows, ReadOnlySpan<float> bias)
    {
        int n = bias.Length;
        for (int r = 0; r < rows; r++)
        {
            var row = m.Slice(r * n, n);
            TensorPrimitives.Add(row, bias, row);
        }
    }

    /// <summary>dBias += sum over r of m[r, :]; m is [rows, dBias.Length]. Rows are added in order (deterministic).</summary>
    public static void AddColumnSums(ReadOnlySpan<float> m, int rows, Span<float> dBias) =>
        AddColumnSums(m, rows, dBias.Length, dBias);

    /// <summary>dBias[c] += Σ_r m[r · ld + c] for the first dBias.Length columns of m [rows, ld], rows in order.</summary>
    public static void AddColumnSums(ReadOnlySpan<float> m, int rows, int ld, Span<float> dBias)
    {
        int n = dBias.Length;
        for (int r = 0; r < rows; r++)
            TensorPrimitives.Add(dBias, m.Slice(r * ld, n), dBias);
    }
}
