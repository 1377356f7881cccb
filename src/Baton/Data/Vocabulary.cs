using System.Text;

namespace Baton.Data;

/// <summary>
/// Token strings by id. For <see cref="TokenKind.Chars"/> each token is one Unicode scalar value;
/// for <see cref="TokenKind.Bytes"/> token i is the string of the single char U+00i (0..255), so
/// every byte has a token and the vocabulary is the same for every text.
/// </summary>
internal sealed class Vocabulary
{
    private readonly Dictionary<string, int> ids = new(StringComparer.Ordinal);

    /// <summary>Character vocabularies: the id of each one-character token by its code point, so encoding allocates no strings.</summary>
    private readonly Dictionary<int, int> runeIds = [];

    /// <summary>Builds a vocabulary from token strings in id order.</summary>
    public Vocabulary(TokenKind kind, IReadOnlyList<string> tokens)
    {
        ArgumentNullException.ThrowIfNull(tokens);
        Kind = kind;
        Tokens = tokens.ToArray();
        for (int i = 0; i < Tokens.Length; i++)
        {
            if (!ids.TryAdd(Tokens[i], i))
                throw new ArgumentException($"Token '{Tokens[i]}' appears twice in the vocabulary (ids {ids[Tokens[i]]} and {i}).", nameof(tokens));
            if (Rune.DecodeFromUtf16(Tokens[i], out Rune rune, out int used) == System.Buffers.OperationStatus.Done && used == Tokens[i].Length)
                runeIds[rune.Value] = i;
        }
    }

    /// <summary>How text is tokenised.</summary>
    public TokenKind Kind { get; }

    /// <summary>The token strings, by id.</summary>
    public string[] Tokens { get; }

    /// <summary>Number of tokens, V.</summary>
    public int Count => Tokens.Length;

    /// <summary>The vocabulary of every byte 0..255.</summary>
    public static Vocabulary ForBytes() =>
        new(TokenKind.Bytes, Enumerable.Range(0, 256).Select(b => ((char)b).ToString()).ToArray());

    /// <summary>The distinct characters of <paramref name="texts"/>, sorted by code point.</summary>
    public static Vocabulary ForChars(IEnumerable<Rune[]> texts)
    {
        var set = new SortedSet<int>();
        foreach (var text in texts)
            foreach (var rune in text)
                set.Add(rune.Value);
        return new Vocabulary(TokenKind.Chars, set.Select(v => new Rune(v).ToString()).ToArray());
    }

    /// <summary>The id of <paramref name="token"/>, or -1 when it is not in the vocabulary.</summary>
    public int IdOf(string token) => ids.TryGetValue(token, out int id) ? id : -1;

    /// <summary>The id of the one-character token <paramref name="character"/>, or -1 when it is not in the vocabulary.</summary>
    public int IdOf(Rune character) => runeIds.TryGetValue(character.Value, out int id) ? id : -1;

    /// <summary>
    /// Tokenises <paramref name="text"/>. Tokens not in the vocabulary get id -1 and are counted in
    /// <paramref name="unknown"/>.
    /// </summary>
    public int[] Encode(string text, out int unknown)
    {
        unknown = 0;
        var result = new List<int>(text.Length);
        if (Kind == TokenKind.Bytes)
        {
            foreach (byte b in Encoding.UTF8.GetBytes(text))
                result.Add(b);
            return result.ToArray();
        }
        foreach (Rune rune in text.EnumerateRunes())
        {
            int id = IdOf(rune.ToString());
            if (id < 0)
                unknown++;
            result.Add(id);
        }
        return result.ToArray();
    }

    /// <summary>Tokenises already-decoded runes (chars) or their UTF-8 bytes (bytes).</summary>
    public int[] Encode(ReadOnlySpan<Rune> runes, out int unknown)
    {
        unknown = 0;
        if (Kind == TokenKind.Bytes)
        {
            long length = 0;
            foreach (var rune in runes)
                length += rune.Utf8SequenceLength;
            if (length > Array.MaxLength)
                throw new InvalidDataException($"The text has {length} bytes, more than one array of token ids holds ({Array.MaxLength}); split it.");
            var bytes = new int[length];
            Span<byte> utf8 = stackalloc byte[4];
            int at = 0;
            foreach (var rune in runes)
            {
                int count = rune.EncodeToUtf8(utf8);
                for (int i = 0; i < count; i++)
                    bytes[at++] = utf8[i];
            }
            return bytes;
        }
        var result = new int[runes.Length];
        for (int i = 0; i < runes.Length; i++)
        {
            if (!runeIds.TryGetValue(runes[i].Value, out int id))
            {
                id = -1;
                unknown++;
            }
            result[i] = id;
        }
        return result;
    }

    /// <summary>
    /// Turns ids back into text. For bytes, the bytes are decoded as UTF-8 (an incomplete trailing
    /// sequence is left out, so a stream can be decoded piecewise with <see cref="Utf8Stream"/>).
    /// </summary>
    public string Decode(ReadOnlySpan<int> tokenIds)
    {
        if (Kind == TokenKind.Bytes)
        {
            var bytes = new byte[tokenIds.Length];
            for (int i = 0; i < bytes.Length; i++)
                bytes[i] = (byte)tokenIds[i];
            return Encoding.UTF8.GetString(bytes);
        }
        var builder = new StringBuilder(tokenIds.Length);
        foreach (int id in tokenIds)
            builder.Append(Tokens[id]);
        return builder.ToString();
    }
}
