namespace Baton.Layers;

/// <summary>
/// The layout of a variable-length batch as PyTorch's PackedSequence: sequences sorted by length,
/// longest first, so that the sequences still running at step t are rows 0..BatchSizes[t]-1.
/// Every packed buffer [N, F] stores step t's rows at Offsets[t] .. Offsets[t] + BatchSizes[t] - 1,
/// N = Offsets[T] = sum of the lengths. With every length equal to T the packed layout is exactly
/// the time-major [T, B, F] layout.
/// </summary>
internal sealed class PackedBatch
{
    /// <summary>Number of time steps T (the longest possible sequence).</summary>
    public int T { get; private set; }

    /// <summary>Number of sequences B.</summary>
    public int B { get; private set; }

    /// <summary>Number of packed rows N = sum of lengths.</summary>
    public int N { get; private set; }

    /// <summary>[T] number of sequences still running at step t (non-increasing, may reach 0).</summary>
    public int[] BatchSizes { get; private set; } = [];

    /// <summary>[T + 1] first packed row of step t; Offsets[T] = N.</summary>
    public int[] Offsets { get; private set; } = [];

    /// <summary>[B] Order[j] = caller's batch index of sorted row j.</summary>
    public int[] Order { get; private set; } = [];

    /// <summary>[B] length of sorted row j.</summary>
    public int[] Lengths { get; private set; } = [];

    /// <summary>True when every length is T (then Order is the identity and packed = time-major).</summary>
    public bool IsFull { get; private set; }

    /// <summary>Lays out a batch; <paramref name="lengths"/> empty means every sequence has length T.
    /// Lengths must already be validated (1..T). Allocates only when T or B grow.</summary>
    public void Set(int steps, int batch, ReadOnlySpan<int> lengths)
    {
        if (BatchSizes.Length < steps)
        {
            BatchSizes = new int[steps];
            Offsets = new int[steps + 1];
        }
        if (Order.Length < batch)
        {
            Order = new int[batch];
            Lengths = new int[batch];
        }
        T = steps;
        B = batch;
        // Stable insertion sort by length, descending: ties keep the caller's order.
        IsFull = true;
        for (int b = 0; b < batch; b++)
        {
            int len = lengths.IsEmpty ? steps : lengths[b];
            if (len != steps)
                IsFull = false;
            int j = b;
            while (j > 0 && Lengths[j - 1] < len)
            {
                Lengths[j] = Lengths[j - 1];
                Order[j] = Order[j - 1];
                j--;
            }
            Lengths[j] = len;
            Order[j] = b;
        }
        int active = batch;
        int offset = 0;
        for (int t = 0; t < steps; t++)
        {
            while (active > 0 && Lengths[active - 1] <= t)
                active--;
            BatchSizes[t] = active;
            Offsets[t] = offset;
            offset += active;
        }
        Offsets[steps] = offset;
        N = offset;
    }
}
