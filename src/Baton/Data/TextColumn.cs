using System.Collections;

namespace Baton.Data;

/// <summary>
/// A list of strings kept as one block of characters and one start offset each (2 bytes a character plus 4 a string,
/// instead of an object per string); an item is made into a <see cref="string"/> only when it is read.
/// </summary>
internal sealed class TextColumn : IReadOnlyList<string>
{
    /// <summary>Most characters one column holds (the largest array of chars .NET allows).</summary>
    public static readonly int MaxCharacters = Array.MaxLength;

    private char[] chars;
    private int[] starts;   // [Count + 1]: item i is chars[starts[i] .. starts[i + 1])

    /// <summary>An empty list that grows as items are added.</summary>
    public TextColumn()
        : this(7, 16)
    {
    }

    /// <summary>An empty list with room for <paramref name="items"/> items of <paramref name="characters"/> characters in all.</summary>
    public TextColumn(int items, int characters)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(items);
        ArgumentOutOfRangeException.ThrowIfNegative(characters);
        chars = new char[characters];
        starts = new int[items + 1];
    }

    /// <summary>Number of items.</summary>
    public int Count { get; private set; }

    /// <summary>Characters held by all items together.</summary>
    public int Characters => starts[Count];

    /// <summary>Bytes of the arrays this list holds (chars and offsets, spare capacity included).</summary>
    public long HeldBytes => 2L * chars.Length + 4L * starts.Length;

    /// <summary>Item <paramref name="index"/> as a new string.</summary>
    public string this[int index] => new(Span(index));

    /// <summary>Item <paramref name="index"/> without making a string.</summary>
    public ReadOnlySpan<char> Span(int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, Count);
        return chars.AsSpan(starts[index], starts[index + 1] - starts[index]);
    }

    /// <summary>True when adding <paramref name="length"/> more characters stays within <see cref="MaxCharacters"/>.</summary>
    public bool CanAdd(int length) => (long)Characters + length <= MaxCharacters;

    /// <summary>Appends <paramref name="text"/>; more than <see cref="MaxCharacters"/> in all is an <see cref="InvalidOperationException"/>.</summary>
    public void Add(ReadOnlySpan<char> text)
    {
        if (!CanAdd(text.Length))
            throw new InvalidOperationException($"A text column holds at most {MaxCharacters} characters.");
        int end = Characters + text.Length;
        if (end > chars.Length)
            Array.Resize(ref chars, (int)Math.Min(MaxCharacters, Math.Max(end, 2L * chars.Length)));
        if (Count + 2 > starts.Length)
            Array.Resize(ref starts, (int)Math.Min(Array.MaxLength, Math.Max(Count + 2, 2L * starts.Length)));
        text.CopyTo(chars.AsSpan(Characters));
        starts[Count + 1] = end;
        Count++;
    }

    /// <summary>Drops the spare capacity, once every item has been added.</summary>
    public void TrimExcess()
    {
        Array.Resize(ref chars, Characters);
        Array.Resize(ref starts, Count + 1);
    }

    /// <inheritdoc/>
    public IEnumerator<string> GetEnumerator()
    {
        for (int i = 0; i < Count; i++)
            yield return this[i];
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
