using System.Text;
using Baton.Data;

namespace Baton;

/// <summary>
/// Token strings by id, for the token-input models (<see cref="RecurrentModel.LanguageModel(TokenVocabulary, RecurrentModelOptions?)"/>,
/// <see cref="RecurrentModel.Classifier(TokenVocabulary, int, RecurrentModelOptions?)"/>, ...). A character vocabulary cuts text
/// into Unicode scalar values (so an emoji or a Chinese character is one token) and is saved in model files, where
/// <c>baton sample</c> and <see cref="RecurrentModel.Generate"/> read it back.
/// </summary>
public sealed class TokenVocabulary
{
    internal TokenVocabulary(Vocabulary vocabulary) => Inner = vocabulary;

    /// <summary>A vocabulary of the given token strings, id i being <paramref name="tokens"/>[i]; each must be unique.</summary>
    public TokenVocabulary(IEnumerable<string> tokens)
    {
        ArgumentNullException.ThrowIfNull(tokens);
        var list = tokens.ToArray();
        if (list.Length == 0)
            throw new ArgumentException("A vocabulary needs at least one token.", nameof(tokens));
        Inner = new Vocabulary(TokenKind.Chars, list);
        IsCharacters = list.All(t => t.EnumerateRunes().Count() == 1);
    }

    internal Vocabulary Inner { get; }

    /// <summary>True when every token is one Unicode scalar value, so that text encodes one character per token.</summary>
    public bool IsCharacters { get; } = true;

    /// <summary>The distinct characters (Unicode scalar values) of <paramref name="text"/>, by code point: id 0 is the smallest.</summary>
    public static TokenVocabulary FromCharacters(string text)
    {
        ArgumentException.ThrowIfNullOrEmpty(text);
        return new TokenVocabulary(Vocabulary.ForChars([text.EnumerateRunes().ToArray()]));
    }

    /// <summary>Number of tokens V.</summary>
    public int Count => Inner.Count;

    /// <summary>The token string of <paramref name="id"/>.</summary>
    public string this[int id]
    {
        get
        {
            if ((uint)id >= (uint)Count)
                throw new ArgumentOutOfRangeException(nameof(id), $"token id {id} is outside [0, {Count}).");
            return Inner.Tokens[id];
        }
    }

    /// <summary>The token strings, by id (a copy).</summary>
    public string[] Tokens => (string[])Inner.Tokens.Clone();

    /// <summary>The id of <paramref name="token"/>, or −1 when it is not in the vocabulary.</summary>
    public int IdOf(string token)
    {
        ArgumentNullException.ThrowIfNull(token);
        return Inner.IdOf(token);
    }

    /// <summary>
    /// The ids of the characters of <paramref name="text"/> (a character vocabulary); throws <see cref="ArgumentException"/>
    /// naming the first character that is not in the vocabulary.
    /// </summary>
    public int[] Encode(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (!IsCharacters)
            throw new InvalidOperationException("This vocabulary's tokens are not single characters: map text to ids yourself.");
        var ids = new List<int>(text.Length);
        int position = 0;
        foreach (var rune in text.EnumerateRunes())
        {
            int id = Inner.IdOf(rune.ToString());
            if (id < 0)
                throw new ArgumentException($"character '{rune}' (U+{rune.Value:X4}) at position {position} is not in the vocabulary.", nameof(text));
            ids.Add(id);
            position++;
        }
        return [.. ids];
    }

    /// <summary>The concatenated token strings of <paramref name="ids"/>.</summary>
    public string Decode(IEnumerable<int> ids)
    {
        ArgumentNullException.ThrowIfNull(ids);
        var text = new StringBuilder();
        foreach (int id in ids)
            text.Append(this[id]);
        return text.ToString();
    }
}
