using System.Buffers;
using System.Text;

namespace Baton.Data;

/// <summary>
/// Reads token ids from a UTF-8 stream in one forward pass, a buffer at a time, so a file of any size, a pipe or
/// standard input can be read in memory that does not grow with it. Decoding is strict: an invalid sequence or a NUL
/// byte throws <see cref="InvalidDataException"/> naming the source and its byte offset; a leading byte-order mark is
/// skipped. Chars give one id per Unicode scalar value from <c>idOf</c> (−1: not in the vocabulary, counted in
/// <see cref="Unknown"/>); bytes give the UTF-8 bytes of each validated scalar value as ids 0..255.
/// </summary>
internal sealed class TokenReader
{
    private const int BufferSize = 1 << 16;

    private readonly Stream stream;
    private readonly string source;
    private readonly TokenKind kind;
    private readonly Func<Rune, int>? idOf;
    private readonly byte[] buffer = new byte[BufferSize];

    // Ids of ASCII characters once looked up (chars only); int.MinValue: not yet looked up.
    private readonly int[] asciiIds = new int[128];
    private int start;
    private int end;
    private long bufferOffset;
    private bool endOfStream;
    private bool started;

    /// <summary>Reads <paramref name="stream"/>, named <paramref name="source"/> in errors; <paramref name="idOf"/> is required for chars.</summary>
    public TokenReader(Stream stream, string source, TokenKind kind, Func<Rune, int>? idOf)
    {
        ArgumentNullException.ThrowIfNull(stream);
        if (kind == TokenKind.Chars && idOf is null)
            throw new ArgumentNullException(nameof(idOf), "Character tokens need a way to look up ids.");
        this.stream = stream;
        this.source = source;
        this.kind = kind;
        this.idOf = idOf;
        Array.Fill(asciiIds, int.MinValue);
    }

    /// <summary>Bytes consumed so far (the byte-order mark included).</summary>
    public long BytesRead => bufferOffset + start;

    /// <summary>Unicode scalar values decoded so far.</summary>
    public long Characters { get; private set; }

    /// <summary>Characters whose id was −1.</summary>
    public long Unknown { get; private set; }

    /// <summary>The first character whose id was −1, and its index among the characters.</summary>
    public (Rune Character, long At)? FirstUnknown { get; private set; }

    /// <summary>
    /// Fills <paramref name="ids"/> (at least 4 long) with the next ids and returns how many; 0 only at the end of the
    /// stream. Unknown characters are written as −1.
    /// </summary>
    public int Read(Span<int> ids)
    {
        if (ids.Length < 4)
            throw new ArgumentException("Give room for at least 4 ids (one character's bytes).", nameof(ids));
        int written = 0;
        while (written <= ids.Length - 4)
        {
            if (end - start < 4 && !endOfStream)
                Refill();
            if (start == end)
                break;
            var status = Rune.DecodeFromUtf8(buffer.AsSpan(start, end - start), out Rune rune, out int consumed);
            if (status == OperationStatus.NeedMoreData && !endOfStream)
                continue;
            if (status != OperationStatus.Done)
                throw new InvalidDataException($"{source}: invalid UTF-8 at byte offset {BytesRead} (byte 0x{buffer[start]:X2}).");
            if (rune.Value == 0)
                throw new InvalidDataException($"{source}: NUL byte at byte offset {BytesRead}; this looks like a binary file, not text.");
            if (kind == TokenKind.Bytes)
            {
                for (int i = 0; i < consumed; i++)
                    ids[written++] = buffer[start + i];
            }
            else
            {
                int id = IdOf(rune);
                if (id < 0)
                {
                    FirstUnknown ??= (rune, Characters);
                    Unknown++;
                }
                ids[written++] = id;
            }
            Characters++;
            start += consumed;
        }
        return written;
    }

    private int IdOf(Rune rune)
    {
        if (!rune.IsAscii)
            return idOf!(rune);
        ref int cached = ref asciiIds[rune.Value];
        if (cached == int.MinValue)
            cached = idOf!(rune);
        return cached;
    }

    /// <summary>Moves the unread bytes to the front and reads until the buffer is full or the stream ends.</summary>
    private void Refill()
    {
        int left = end - start;
        Array.Copy(buffer, start, buffer, 0, left);
        bufferOffset += start;
        start = 0;
        end = left;
        while (end < buffer.Length)
        {
            int n = stream.Read(buffer, end, buffer.Length - end);
            if (n == 0)
            {
                endOfStream = true;
                break;
            }
            end += n;
        }
        if (!started && buffer.AsSpan(0, end).StartsWith("\uFEFF"u8))
            start = 3;
        started = true;
    }
}
