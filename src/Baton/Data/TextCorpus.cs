using System.Text;

namespace Baton.Data;

/// <summary>
/// A tokenised text corpus: one or more UTF-8 texts joined in order, with its vocabulary.
/// </summary>
internal sealed class TextCorpus
{
    private TextCorpus(Vocabulary vocabulary, int[] tokens, string source)
    {
        Vocabulary = vocabulary;
        Tokens = tokens;
        Source = source;
    }

    /// <summary>The vocabulary the tokens index.</summary>
    public Vocabulary Vocabulary { get; }

    /// <summary>Token ids of the whole corpus.</summary>
    public int[] Tokens { get; }

    /// <summary>Where the text came from (file names, or "built-in").</summary>
    public string Source { get; }

    /// <summary>
    /// Reads <paramref name="paths"/> (strict UTF-8, errors name the file and byte offset) and tokenises them.
    /// Without <paramref name="vocabulary"/>, the vocabulary is built from the text (chars) or is all bytes;
    /// with one, a character outside it is an error naming the file.
    /// </summary>
    public static TextCorpus FromFiles(IReadOnlyList<string> paths, TokenKind kind, Vocabulary? vocabulary = null)
    {
        ArgumentNullException.ThrowIfNull(paths);
        if (paths.Count == 0)
            throw new ArgumentException("No text files given.", nameof(paths));
        var texts = paths.Select(p => (Path: p, Runes: Utf8Text.ReadFile(p))).ToArray();
        return Build(texts, kind, vocabulary, string.Join(", ", paths));
    }

    /// <summary>Tokenises an in-memory text (see <see cref="FromFiles"/>).</summary>
    public static TextCorpus FromText(string text, string source, TokenKind kind, Vocabulary? vocabulary = null)
    {
        ArgumentNullException.ThrowIfNull(text);
        var runes = Utf8Text.DecodeStrict(Encoding.UTF8.GetBytes(text), source);
        return Build([(source, runes)], kind, vocabulary, source);
    }

    private static TextCorpus Build((string Path, Rune[] Runes)[] texts, TokenKind kind, Vocabulary? vocabulary, string source)
    {
        vocabulary ??= kind == TokenKind.Bytes ? Vocabulary.ForBytes() : Vocabulary.ForChars(texts.Select(t => t.Runes));
        if (vocabulary.Kind != kind)
            throw new ArgumentException($"The vocabulary is for {vocabulary.Kind.ToString().ToLowerInvariant()}, not {kind.ToString().ToLowerInvariant()}.", nameof(vocabulary));
        var parts = new List<int[]>(texts.Length);
        foreach (var (path, runes) in texts)
        {
            int[] ids = vocabulary.Encode(runes, out int unknown);
            if (unknown > 0)
            {
                int at = Array.IndexOf(ids, -1);
                string token = kind == TokenKind.Chars ? runes[at].ToString() : "?";
                throw new InvalidDataException($"{path}: {unknown} characters are not in the model's vocabulary (first: '{token}' at character {at}).");
            }
            parts.Add(ids);
        }
        return new TextCorpus(vocabulary, Concatenate(parts, source), source);
    }

    /// <summary>The parts end to end; a single part is kept as it is, without a copy.</summary>
    private static int[] Concatenate(List<int[]> parts, string source)
    {
        if (parts.Count == 1)
            return parts[0];
        long total = parts.Sum(p => (long)p.Length);
        if (total > Array.MaxLength)
            throw new InvalidDataException($"{source}: {total} tokens, more than one array of token ids holds ({Array.MaxLength}); use less text.");
        var tokens = new int[total];
        int at = 0;
        foreach (var part in parts)
        {
            part.CopyTo(tokens, at);
            at += part.Length;
        }
        return tokens;
    }

    /// <summary>
    /// Splits the tokens: the last <paramref name="validationFraction"/> becomes validation, the rest training
    /// (chronological, so validation text is never seen in training).
    /// </summary>
    public (int[] Train, int[] Validation) Split(double validationFraction)
    {
        if (!(validationFraction >= 0 && validationFraction < 1))
            throw new ArgumentOutOfRangeException(nameof(validationFraction), validationFraction, "must be in [0, 1).");
        int validation = (int)Math.Round(Tokens.Length * validationFraction);
        int train = Tokens.Length - validation;
        return (Tokens[..train], Tokens[train..]);
    }
}
