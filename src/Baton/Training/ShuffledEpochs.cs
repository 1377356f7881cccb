using Baton.Numerics;

namespace Baton.Training;

/// <summary>
/// The training order of N examples in batches of B: each epoch is a Fisher–Yates permutation of 0..N−1 drawn from
/// <c>Rng(seed + epoch)</c> when the epoch's first batch is taken, then ⌈N / B⌉ consecutive slices of it (the last may be
/// smaller). <see cref="Position"/> [epoch, batch] is what a checkpoint saves, so a resumed run takes the same batches.
/// </summary>
internal sealed class ShuffledEpochs
{
    private readonly ulong seed;
    private readonly int[] order;
    private readonly int batchSize;
    private long epoch;
    private long batchIndex;
    private long orderEpoch = -1;

    /// <summary>An order of <paramref name="count"/> examples (at least one) in batches of <paramref name="batchSize"/>.</summary>
    public ShuffledEpochs(int count, int batchSize, ulong seed)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        order = new int[count];
        this.batchSize = batchSize;
        this.seed = seed;
        BatchesPerEpoch = (count + batchSize - 1) / batchSize;
    }

    /// <summary>⌈N / B⌉.</summary>
    public int BatchesPerEpoch { get; }

    /// <summary>Bytes held: the permutation, 4 per example.</summary>
    public long HeldBytes => 4L * order.Length;

    /// <summary>[epoch, batch] of the next batch; setting it checks the batch against <see cref="BatchesPerEpoch"/>.</summary>
    public long[] Position
    {
        get => [epoch, batchIndex];
        set
        {
            ArgumentNullException.ThrowIfNull(value);
            if (value.Length != 2 || value[0] < 0 || value[1] < 0 || value[1] >= BatchesPerEpoch)
                throw new ArgumentException($"Invalid example position [{string.Join(", ", value)}] for {BatchesPerEpoch} batches per epoch.", nameof(value));
            (epoch, batchIndex) = (value[0], value[1]);
        }
    }

    /// <summary>The example at place <paramref name="i"/> of the current permutation.</summary>
    public int this[int i] => order[i];

    /// <summary>
    /// The next batch as places [First, First + Count) of the permutation (read them through the indexer before the next
    /// call), drawing the epoch's permutation first when it starts; then moves on by one batch.
    /// </summary>
    public (int First, int Count) Next()
    {
        if (orderEpoch != epoch)
        {
            for (int i = 0; i < order.Length; i++)
                order[i] = i;
            var rng = new Rng(seed + (ulong)epoch);
            for (int i = order.Length - 1; i > 0; i--)
            {
                int j = rng.NextInt(i + 1);
                (order[i], order[j]) = (order[j], order[i]);
            }
            orderEpoch = epoch;
        }
        int first = (int)batchIndex * batchSize;
        int count = Math.Min(batchSize, order.Length - first);
        if (++batchIndex == BatchesPerEpoch)
        {
            batchIndex = 0;
            epoch++;
        }
        return (first, count);
    }
}
