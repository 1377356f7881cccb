namespace Baton.Parallel;

/// <summary>
/// Everything <see cref="MinRecurrence.Forward"/> caches for <see cref="MinRecurrence.Backward"/>, plus the backward
/// scratch, sized once for <see cref="MaxRows"/> = T·B rows and <see cref="MaxB"/> sequences and reused across calls.
/// </summary>
public sealed class MinRecurrenceCache
{
    /// <summary>Largest T·B this cache holds.</summary>
    public int MaxRows { get; }

    /// <summary>Largest B this cache holds.</summary>
    public int MaxB { get; }

    internal int T, B;
    internal int[]? Lengths;
    internal bool HasH0;
    internal readonly float[] X;      // [T, B, I]     the input (for the weight gradient)
    internal readonly float[] Pre;    // [T·B, G·H]    projection + bias (chunks: hidden, gates)
    internal readonly float[] A;      // [T, B, H]     scan coefficients a_t
    internal readonly float[] H;      // [T, B, H]     b_t, then (after the scan) h_t
    internal readonly float[] H0;     // [B, H]        initial state when given
    internal readonly float[] G;      // [T, B, H]     backward: ∂L/∂h_t, then the scan gradient g_t = ∂L/∂b_t
    internal readonly float[] Da;     // [T, B, H]     backward: ∂L/∂a_t
    internal readonly float[] DPre;   // [T·B, G·H]    backward: ∂L/∂pre

    internal MinRecurrenceCache(int maxRows, int maxB, int inputSize, int hiddenSize, int chunks)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxRows);
        ArgumentOutOfRangeException.ThrowIfNegative(maxB);
        MaxRows = maxRows;
        MaxB = maxB;
        int rows = maxRows;
        X = new float[checked(rows * inputSize)];
        Pre = new float[checked(rows * chunks * hiddenSize)];
        A = new float[rows * hiddenSize];
        H = new float[rows * hiddenSize];
        H0 = new float[maxB * hiddenSize];
        G = new float[rows * hiddenSize];
        Da = new float[rows * hiddenSize];
        DPre = new float[rows * chunks * hiddenSize];
    }

    internal void Check(int T, int B)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(T);
        if ((long)T * B > MaxRows)
            throw new ArgumentOutOfRangeException(nameof(T), $"T·B = {(long)T * B} exceeds this cache's {MaxRows} rows.");
        if (B < 0 || B > MaxB)
            throw new ArgumentOutOfRangeException(nameof(B), $"B = {B} is outside this cache's 0..{MaxB}.");
    }
}
