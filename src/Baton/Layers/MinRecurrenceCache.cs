using Baton.Numerics;

namespace Baton.Layers;

/// <summary>
/// Everything <see cref="MinRecurrence.Forward"/> caches for <see cref="MinRecurrence.Backward"/>, plus the backward
/// scratch, sized once for <see cref="MaxRows"/> = T·B rows and <see cref="MaxB"/> sequences and reused across calls.
/// Buffers that only some paths use are allocated on first use.
/// </summary>
internal sealed class MinRecurrenceCache
{
    /// <summary>Largest T·B this cache holds.</summary>
    public int MaxRows { get; }

    /// <summary>Largest B this cache holds.</summary>
    public int MaxB { get; }

    private readonly int inputSize, hiddenSize;
    private float[]? x, a, h, g;

    internal int T, B;
    internal int[]? Lengths;                                               // [≥ B] this call's lengths (LengthBuffer), null = all T
    internal readonly int[] LengthBuffer;
    internal ScanMethod Method;       // the scan the forward ran: TimeChunks keeps a and scans separately
    internal bool HoldsInputs;        // X and H hold the forward's x and h (not so after MinRecurrence.ForwardInPlace)
    internal bool HasForward;         // a forward filled Pre and no backward has overwritten it since
    internal readonly float[] Pre;    // [T·B, G·H]    the projection x·Wᵀ; after the forward pass the activations; backward: ∂L/∂pre
    internal readonly float[] H0;     // [B, H]        initial state (zeros when none was given)
    internal readonly float[] Sums;   // [B, G·H]      backward: Σ_t ∂L/∂pre per channel, for the bias gradient
    internal readonly float[] GNext;  // [B, H]        backward carries: g_{t+1} …
    internal readonly float[] ANext;  // [B, H]        … and a_{t+1} (0 across a cut)

    internal MinRecurrenceCache(int maxRows, int maxB, int inputSize, int hiddenSize, int chunks)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxRows);
        ArgumentOutOfRangeException.ThrowIfNegative(maxB);
        MaxRows = maxRows;
        MaxB = maxB;
        this.inputSize = inputSize;
        this.hiddenSize = hiddenSize;
        Pre = new float[checked(maxRows * chunks * hiddenSize)];
        H0 = new float[maxB * hiddenSize];
        Sums = new float[maxB * chunks * hiddenSize];
        GNext = new float[maxB * hiddenSize];
        ANext = new float[maxB * hiddenSize];
        LengthBuffer = new int[maxB];
    }

    internal float[] X => x ??= new float[checked(MaxRows * inputSize)];  // [T, B, I]  the input (for the weight gradient)
    internal float[] A => a ??= new float[MaxRows * hiddenSize];          // [T, B, H]  a_t, for the separate scan of TimeChunks
    internal float[] H => h ??= new float[MaxRows * hiddenSize];          // [T, B, H]  h_t
    internal float[] G => g ??= new float[MaxRows * hiddenSize];          // [T, B, H]  ∂L/∂h_t from outside, masked; then g_t

    internal void Check(int T, int B)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(T);
        if ((long)T * B > MaxRows)
            throw new ArgumentOutOfRangeException(nameof(T), $"T·B = {(long)T * B} exceeds this cache's {MaxRows} rows.");
        if (B < 0 || B > MaxB)
            throw new ArgumentOutOfRangeException(nameof(B), $"B = {B} is outside this cache's 0..{MaxB}.");
    }
}
