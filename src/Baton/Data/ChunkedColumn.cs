namespace Baton.Data;

/// <summary>
/// An append-only column of values kept in blocks of <see cref="ChunkSize"/>: growing it never copies what it holds and
/// leaves no discarded arrays behind, so a table read in one pass holds its values once.
/// </summary>
internal sealed class ChunkedColumn<T>
    where T : struct
{
    /// <summary>Values per block.</summary>
    public const int ChunkSize = 1 << 14;

    private const int Shift = 14;
    private readonly List<T[]> chunks = [];

    /// <summary>Number of values.</summary>
    public int Count { get; private set; }

    /// <summary>Bytes of the blocks held (the last one may be partly used).</summary>
    public long HeldBytes => (long)chunks.Count * ChunkSize * System.Runtime.CompilerServices.Unsafe.SizeOf<T>();

    /// <summary>Value <paramref name="index"/>.</summary>
    public T this[int index]
    {
        get => chunks[index >> Shift][index & (ChunkSize - 1)];
        set => chunks[index >> Shift][index & (ChunkSize - 1)] = value;
    }

    /// <summary>Appends <paramref name="value"/>.</summary>
    public void Add(T value)
    {
        if (Count == Array.MaxLength)
            throw new InvalidOperationException($"A column holds at most {Array.MaxLength} values.");
        if ((Count & (ChunkSize - 1)) == 0)
            chunks.Add(new T[ChunkSize]);
        this[Count++] = value;
    }
}
