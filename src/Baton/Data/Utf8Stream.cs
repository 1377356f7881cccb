using System.Text;

namespace Baton.Data;

/// <summary>Turns a stream of generated tokens into text as it comes, holding back incomplete UTF-8 sequences.</summary>
internal sealed class Utf8Stream(Vocabulary vocabulary)
{
    private readonly Decoder decoder = new UTF8Encoding(false, false).GetDecoder();
    private readonly byte[] one = new byte[1];
    private readonly char[] chars = new char[8];

    /// <summary>The text that token <paramref name="id"/> completes (possibly empty for a partial byte sequence).</summary>
    public string Push(int id)
    {
        if (vocabulary.Kind == TokenKind.Chars)
            return vocabulary.Tokens[id];
        one[0] = (byte)id;
        int n = decoder.GetChars(one, 0, 1, chars, 0, flush: false);
        return new string(chars, 0, n);
    }
}
