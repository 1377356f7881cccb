using System.Buffers.Binary;

namespace Baton.Data;

/// <summary>
/// A compact, append-only list of token ids: W = 1 byte per id while every id is below 256, 2 bytes below 65,536 and 4
/// beyond (the store widens itself once when a larger id arrives), kept in segments of 2^24 ids so that it may hold more
/// ids than one array can (<see cref="Array.MaxLength"/>) and never asks for one contiguous block. A text of N tokens
/// costs N·W bytes, against 4·N for an int array and 4·N more for decoded characters.
/// </summary>
internal sealed class TokenStore
{
    private const int SegmentShift = 24;

    /// <summary>Ids per segment, 2^24.</summary>
    private const int SegmentIds = 1 << SegmentShift;

    /// <summary>Ids the first segment starts with; it doubles up to 2^24, and every later segment is allocated whole,
    /// so growing leaves behind at most one segment's worth of garbage, not one per segment.</summary>
    private const int FirstCapacity = 4096;

    // segments[s] holds ids [s·2^24, (s+1)·2^24) at W bytes each, little-endian; only the last may be partly filled or shorter.
    private readonly List<byte[]> segments = [];

    /// <summary>Bytes per id, W: 1, 2 or 4.</summary>
    public int Width { get; private set; } = 1;

    /// <summary>Number of ids stored, N.</summary>
    public long Count { get; private set; }

    /// <summary>The id at <paramref name="index"/> (0 ≤ index &lt; <see cref="Count"/>).</summary>
    public int this[long index]
    {
        get
        {
            if ((ulong)index >= (ulong)Count)
                throw new ArgumentOutOfRangeException(nameof(index), index, $"must be in [0, {Count}).");
            byte[] segment = segments[(int)(index >> SegmentShift)];
            int at = (int)(index & (SegmentIds - 1));
            return Width switch
            {
                1 => segment[at],
                2 => BinaryPrimitives.ReadUInt16LittleEndian(segment.AsSpan(at * 2)),
                _ => BinaryPrimitives.ReadInt32LittleEndian(segment.AsSpan(at * 4)),
            };
        }
    }

    /// <summary>A store holding <paramref name="ids"/> (each ≥ 0).</summary>
    public static TokenStore From(ReadOnlySpan<int> ids)
    {
        var store = new TokenStore();
        store.Add(ids);
        return store;
    }

    /// <summary>Appends <paramref name="ids"/>, each ≥ 0, widening the store when one needs more than <see cref="Width"/> bytes.</summary>
    public void Add(ReadOnlySpan<int> ids)
    {
        int largest = 0;
        foreach (int id in ids)
        {
            if (id < 0)
                throw new ArgumentOutOfRangeException(nameof(ids), id, "token ids must be ≥ 0.");
            largest = Math.Max(largest, id);
        }
        int width = WidthFor(largest);
        if (width > Width)
            Widen(width);
        while (ids.Length > 0)
        {
            int at = (int)(Count & (SegmentIds - 1));
            if (at == 0 && Count >> SegmentShift == segments.Count)
                segments.Add(new byte[(segments.Count == 0 ? FirstCapacity : SegmentIds) * Width]);
            byte[] segment = segments[^1];
            int room = SegmentIds - at;
            int take = Math.Min(room, ids.Length);
            if ((at + take) * Width > segment.Length)
            {
                long capacity = Math.Max((long)segment.Length / Width * 2, at + take);
                Array.Resize(ref segment, (int)Math.Min(capacity, SegmentIds) * Width);
                segments[^1] = segment;
            }
            Write(segment, Width, at, ids[..take]);
            Count += take;
            ids = ids[take..];
        }
    }

    /// <summary>Copies ids [<paramref name="start"/>, start + destination.Length) into <paramref name="destination"/>.</summary>
    public void CopyTo(long start, Span<int> destination)
    {
        if (start < 0 || start > Count - destination.Length)
            throw new ArgumentOutOfRangeException(nameof(start), start, $"[{start}, {start + destination.Length}) is not within the {Count} ids.");
        for (int i = 0; i < destination.Length; i++)
            destination[i] = this[start + i];
    }

    /// <summary>Replaces every id by <paramref name="map"/>[id]; the new ids must fit in the current <see cref="Width"/>.</summary>
    public void Remap(ReadOnlySpan<int> map)
    {
        foreach (int id in map)
        {
            if (id < 0 || WidthFor(id) > Width)
                throw new ArgumentOutOfRangeException(nameof(map), id, $"a remapped id must fit in {Width} bytes.");
        }
        Span<int> chunk = new int[4096];
        for (int s = 0; s < segments.Count; s++)
        {
            long first = (long)s << SegmentShift;
            int used = (int)Math.Min(SegmentIds, Count - first);
            for (int at = 0; at < used; at += chunk.Length)
            {
                int n = Math.Min(chunk.Length, used - at);
                var part = chunk[..n];
                CopyTo(first + at, part);
                for (int i = 0; i < n; i++)
                    part[i] = map[part[i]];
                Write(segments[s], Width, at, part);
            }
        }
    }

    /// <summary>The bytes per id that <paramref name="id"/> needs: 1, 2 or 4.</summary>
    private static int WidthFor(int id) => id < 256 ? 1 : id < 65_536 ? 2 : 4;

    private static void Write(byte[] segment, int width, int at, ReadOnlySpan<int> ids)
    {
        switch (width)
        {
            case 1:
                for (int i = 0; i < ids.Length; i++)
                    segment[at + i] = (byte)ids[i];
                break;
            case 2:
                for (int i = 0; i < ids.Length; i++)
                    BinaryPrimitives.WriteUInt16LittleEndian(segment.AsSpan((at + i) * 2), (ushort)ids[i]);
                break;
            default:
                for (int i = 0; i < ids.Length; i++)
                    BinaryPrimitives.WriteInt32LittleEndian(segment.AsSpan((at + i) * 4), ids[i]);
                break;
        }
    }

    /// <summary>Rewrites every segment at <paramref name="width"/> bytes per id, one segment at a time.</summary>
    private void Widen(int width)
    {
        int old = Width;
        var ids = new int[4096];
        for (int s = 0; s < segments.Count; s++)
        {
            byte[] source = segments[s];
            int capacity = source.Length / old;
            long first = (long)s << SegmentShift;
            int used = (int)Math.Min(capacity, Count - first);
            var target = new byte[capacity * width];
            for (int at = 0; at < used; at += ids.Length)
            {
                int n = Math.Min(ids.Length, used - at);
                for (int i = 0; i < n; i++)
                {
                    int k = at + i;
                    ids[i] = old == 1 ? source[k] : old == 2 ? BinaryPrimitives.ReadUInt16LittleEndian(source.AsSpan(k * 2)) : BinaryPrimitives.ReadInt32LittleEndian(source.AsSpan(k * 4));
                }
                Write(target, width, at, ids.AsSpan(0, n));
            }
            segments[s] = target;
        }
        Width = width;
    }
}
