using System.Text;

namespace Baton.Data;

/// <summary>
/// A tokenised text corpus: one or more UTF-8 texts joined in order, with its vocabulary. The texts are read once, a
/// buffer at a time, into a compact <see cref="TokenStore"/> (1, 2 or 4 bytes per token), so the memory a corpus takes
/// is its token count times that width, whatever the size of the files; standard input ("-") and pipes can be read.
/// </summary>
internal sealed class TextCorpus
{
    private TextCorpus(Vocabulary vocabulary, TokenStore tokens, string source)
    {
        Vocabulary = vocabulary;
        Tokens = tokens;
        Source = source;
    }

    /// <summary>The vocabulary the tokens index.</summary>
    public Vocabulary Vocabulary { get; }

    /// <summary>Token ids of the whole corpus.</summary>
    public TokenStore Tokens { get; }

    /// <summary>Where the text came from (file names, or "built-in").</summary>
    public string Source { get; }

    /// <summary>
    /// Reads <paramref name="paths"/> ("-" is standard input; strict UTF-8, errors name the file and byte offset) and
    /// tokenises them in one pass (<paramref name="open"/> opens each path; by default <see cref="Utf8Text.OpenRead"/>). Without <paramref name="vocabulary"/>, the vocabulary is the distinct characters of the
    /// text sorted by code point (chars) or all bytes; with one, a character outside it is an error naming the file.
    /// </summary>
    public static TextCorpus FromFiles(IReadOnlyList<string> paths, TokenKind kind, Vocabulary? vocabulary = null, Func<string, Stream>? open = null)
    {
        ArgumentNullException.ThrowIfNull(paths);
        if (paths.Count == 0)
            throw new ArgumentException("No text files given.", nameof(paths));
        var builder = new Builder(kind, vocabulary);
        foreach (string path in paths)
        {
            using var stream = (open ?? Utf8Text.OpenRead)(path);
            if (builder.Add(stream, path) == 0)
                throw new InvalidDataException($"{path}: the file is empty.");
        }
        return builder.Finish(string.Join(", ", paths));
    }

    /// <summary>Tokenises an in-memory text (see <see cref="FromFiles"/>).</summary>
    public static TextCorpus FromText(string text, string source, TokenKind kind, Vocabulary? vocabulary = null)
    {
        ArgumentNullException.ThrowIfNull(text);
        var builder = new Builder(kind, vocabulary);
        using (var stream = new MemoryStream(Encoding.UTF8.GetBytes(text), writable: false))
            builder.Add(stream, source);
        return builder.Finish(source);
    }

    /// <summary>
    /// Splits the tokens: the last <paramref name="validationFraction"/> becomes validation, the rest training
    /// (chronological, so validation text is never seen in training). Both are views of <see cref="Tokens"/>, not copies.
    /// </summary>
    public (TokenRange Train, TokenRange Validation) Split(double validationFraction)
    {
        if (!(validationFraction >= 0 && validationFraction < 1))
            throw new ArgumentOutOfRangeException(nameof(validationFraction), validationFraction, "must be in [0, 1).");
        long validation = (long)Math.Round(Tokens.Count * validationFraction);
        long train = Tokens.Count - validation;
        return (new TokenRange(Tokens, 0, train), new TokenRange(Tokens, train, validation));
    }

    /// <summary>
    /// Reads texts into one store. Without a vocabulary, characters get provisional ids in the order they are first
    /// seen; <see cref="Finish"/> sorts them by code point and rewrites the ids once.
    /// </summary>
    private sealed class Builder(TokenKind kind, Vocabulary? vocabulary)
    {
        private readonly TokenStore tokens = new();
        private readonly Dictionary<int, int> provisional = [];
        private readonly List<int> codePoints = [];
        private readonly int[] ids = new int[1 << 16];

        /// <summary>Reads <paramref name="stream"/> to its end and returns the bytes read.</summary>
        public long Add(Stream stream, string path)
        {
            if (vocabulary is not null && vocabulary.Kind != kind)
                throw new ArgumentException($"The vocabulary is for {vocabulary.Kind.ToString().ToLowerInvariant()}, not {kind.ToString().ToLowerInvariant()}.", nameof(vocabulary));
            Func<Rune, int>? idOf = kind == TokenKind.Bytes ? null : vocabulary is not null ? vocabulary.IdOf : Discover;
            var reader = new TokenReader(stream, path, kind, idOf);
            int n;
            while ((n = reader.Read(ids)) > 0)
            {
                if (reader.Unknown == 0)
                    tokens.Add(ids.AsSpan(0, n));
            }
            if (reader.FirstUnknown is var (character, at))
                throw new InvalidDataException($"{path}: {reader.Unknown} characters are not in the model's vocabulary (first: '{character}' at character {at}).");
            return reader.BytesRead;
        }

        public TextCorpus Finish(string source)
        {
            if (vocabulary is not null)
                return new TextCorpus(vocabulary, tokens, source);
            if (kind == TokenKind.Bytes)
                return new TextCorpus(Vocabulary.ForBytes(), tokens, source);
            int[] sorted = [.. codePoints.Order()];
            var map = new int[codePoints.Count];
            for (int id = 0; id < sorted.Length; id++)
                map[provisional[sorted[id]]] = id;
            tokens.Remap(map);
            return new TextCorpus(new Vocabulary(TokenKind.Chars, sorted.Select(c => new Rune(c).ToString()).ToArray()), tokens, source);
        }

        private int Discover(Rune rune)
        {
            if (!provisional.TryGetValue(rune.Value, out int id))
            {
                id = codePoints.Count;
                provisional.Add(rune.Value, id);
                codePoints.Add(rune.Value);
            }
            return id;
        }
    }
}
