using System.Text;
using Baton.Data;
using Baton.Lab;

namespace Baton.Tests.Data;

public class TextDataTests
{
    [Fact]
    public void Invalid_utf8_names_the_byte_offset()
    {
        byte[] bytes = [.. "héllo"u8.ToArray(), 0xC3, 0x28, .. "x"u8.ToArray()];
        var error = Assert.Throws<InvalidDataException>(() => Utf8Text.DecodeStrict(bytes, "a.txt"));
        Assert.Contains("a.txt", error.Message);
        Assert.Contains("byte offset 6", error.Message);
    }

    [Fact]
    public void A_nul_byte_is_reported_as_binary()
    {
        var error = Assert.Throws<InvalidDataException>(() => Utf8Text.DecodeStrict("ab\0c"u8, "junk.bin"));
        Assert.Contains("byte offset 2", error.Message);
        Assert.Contains("binary", error.Message);
    }

    [Fact]
    public void Chinese_emoji_and_combining_marks_are_one_token_per_scalar_value()
    {
        const string text = "我饿了😀e\u0301";
        var runes = Utf8Text.DecodeStrict(Encoding.UTF8.GetBytes(text), "t");
        var vocab = Vocabulary.ForChars([runes]);
        int[] ids = vocab.Encode(text, out int unknown);
        Assert.Equal(0, unknown);
        Assert.Equal(6, ids.Length); // 我 饿 了 😀 e U+0301
        Assert.Equal(text, vocab.Decode(ids));
    }

    [Fact]
    public void Unknown_characters_are_counted_and_marked()
    {
        var vocab = new Vocabulary(TokenKind.Chars, ["a", "b"]);
        int[] ids = vocab.Encode("abz", out int unknown);
        Assert.Equal(1, unknown);
        Assert.Equal([0, 1, -1], ids);
    }

    [Fact]
    public void Byte_tokens_round_trip_utf8_and_stream_whole_characters()
    {
        var vocab = Vocabulary.ForBytes();
        int[] ids = vocab.Encode("饿a", out int unknown);
        Assert.Equal(0, unknown);
        Assert.Equal(4, ids.Length);
        Assert.Equal("饿a", vocab.Decode(ids));
        var stream = new Utf8Stream(vocab);
        string[] pieces = ids.Select(stream.Push).ToArray();
        Assert.Equal(["", "", "饿", "a"], pieces);
    }

    [Fact]
    public void Every_generated_sentence_completes_its_own_cause()
    {
        var corpus = new MemoryCorpus(maxFillers: 3);
        string text = corpus.Generate(400, seed: 7);
        string[] lines = text.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(400, lines.Length);
        int[] distances = new int[4];
        foreach (string line in lines)
        {
            var language = line.StartsWith("我", StringComparison.Ordinal) ? MemoryCorpus.Chinese : MemoryCorpus.English;
            var pair = language.Pairs.Single(p => line.StartsWith(p.Cause, StringComparison.Ordinal));
            Assert.EndsWith(language.Lead + pair.Completion + language.End, line);
            int clauses = line.Split(language.Separator).Length - 2;
            distances[clauses]++;
        }
        Assert.All(distances, count => Assert.InRange(count, 60, 140));
        Assert.Equal(text, corpus.Generate(400, seed: 7));
    }

    [Fact]
    public void Probes_cover_every_distance_and_the_article_prompt_has_no_fillers()
    {
        var probes = MemoryCorpus.Probes(maxDistance: 2, perDistance: 6, seed: 1);
        Assert.Equal(3 * 2 * 6, probes.Count);
        var article = probes.First(p => p.Language == "zh" && p.Distance == 0);
        Assert.Equal(MemoryCorpus.ArticlePrompt, article.Prompt);
        Assert.Equal(MemoryCorpus.ArticleCompletion, article.Expected);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Encoding_runes_gives_the_ids_that_encoding_the_same_string_gives(bool bytes)
    {
        var kind = bytes ? Baton.Data.TokenKind.Bytes : Baton.Data.TokenKind.Chars;
        string text = "我肚子饿了, I want food!\n😀 é";
        var vocabulary = kind == Baton.Data.TokenKind.Bytes
            ? Baton.Data.Vocabulary.ForBytes()
            : new Baton.Data.Vocabulary(kind, ["我", "饿", "I", " ", "😀", "\n"]);
        var runes = text.EnumerateRunes().ToArray();
        int[] fromRunes = vocabulary.Encode(runes, out int unknownFromRunes);
        int[] fromString = vocabulary.Encode(text, out int unknownFromString);
        Assert.Equal(fromString, fromRunes);
        Assert.Equal(unknownFromString, unknownFromRunes);
        Assert.Equal(kind == Baton.Data.TokenKind.Bytes ? System.Text.Encoding.UTF8.GetByteCount(text) : runes.Length, fromRunes.Length);
        Assert.Equal(kind == Baton.Data.TokenKind.Bytes ? 0 : runes.Length - 9, unknownFromRunes);
    }
}
