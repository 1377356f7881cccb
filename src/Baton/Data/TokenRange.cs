namespace Baton.Data;

/// <summary>Ids [<paramref name="Start"/>, Start + <paramref name="Length"/>) of a <see cref="TokenStore"/>, read in place without a copy.</summary>
internal readonly record struct TokenRange(TokenStore Store, long Start, long Length)
{
    /// <summary>The whole of <paramref name="ids"/>, in a store of its own.</summary>
    public static TokenRange Of(ReadOnlySpan<int> ids) => new(TokenStore.From(ids), 0, ids.Length);

    /// <summary>Id <paramref name="index"/> of the range (0 ≤ index &lt; <see cref="Length"/>).</summary>
    public int this[long index]
    {
        get
        {
            if ((ulong)index >= (ulong)Length)
                throw new ArgumentOutOfRangeException(nameof(index), index, $"must be in [0, {Length}).");
            return Store[Start + index];
        }
    }

    /// <summary>The ids as an array (for tests and small texts; at most <see cref="Array.MaxLength"/> of them).</summary>
    public int[] ToArray()
    {
        var ids = new int[checked((int)Length)];
        Store.CopyTo(Start, ids);
        return ids;
    }
}
