using System.Text;
using Baton.Data;
using Baton.Training;

namespace Baton.Tests.Data;

public class TokenStoreTests
{
    [Fact]
    public void A_store_widens_from_one_to_two_to_four_bytes_and_keeps_every_id()
    {
        var store = new TokenStore();
        int[] small = [.. Enumerable.Range(0, 256)];
        store.Add(small);
        Assert.Equal(1, store.Width);
        store.Add([300, 65_535]);
        Assert.Equal(2, store.Width);
        store.Add([70_000, 1_114_111]);
        Assert.Equal(4, store.Width);
        int[] expected = [.. small, 300, 65_535, 70_000, 1_114_111];
        Assert.Equal(expected.Length, store.Count);
        for (int i = 0; i < expected.Length; i++)
            Assert.Equal(expected[i], store[i]);
    }

    [Fact]
    public void A_store_holds_ids_across_segment_boundaries_and_remaps_them_in_place()
    {
        const int count = (1 << 24) + 1000;
        var store = new TokenStore();
        var chunk = new int[100_003];
        for (long at = 0; at < count; at += chunk.Length)
        {
            int n = (int)Math.Min(chunk.Length, count - at);
            for (int i = 0; i < n; i++)
                chunk[i] = (int)((at + i) % 251);
            store.Add(chunk.AsSpan(0, n));
        }
        Assert.Equal(count, store.Count);
        foreach (long i in new long[] { 0, 1, (1 << 24) - 1, 1 << 24, count - 1 })
            Assert.Equal((int)(i % 251), store[i]);
        int[] reversed = [.. Enumerable.Range(0, 251).Select(id => 250 - id)];
        store.Remap(reversed);
        foreach (long i in new long[] { 0, (1 << 24) - 1, 1 << 24, count - 1 })
            Assert.Equal(250 - (int)(i % 251), store[i]);
        Assert.Throws<ArgumentOutOfRangeException>(() => store[count]);
    }

    [Fact]
    public void Reading_a_corpus_in_small_pieces_gives_the_ids_of_decoding_it_whole()
    {
        // Two- three- and four-byte characters land on every offset of the 64 KiB read buffer.
        var text = new StringBuilder("\uFEFF");
        var random = new Random(5);
        string[] pieces = ["a", "é", "饿", "😀", "e\u0301", "\n"];
        while (text.Length < 200_000)
            text.Append(pieces[random.Next(pieces.Length)]);
        string body = text.ToString(1, text.Length - 1);
        foreach (var kind in new[] { TokenKind.Chars, TokenKind.Bytes })
        {
            var corpus = TextCorpus.FromFiles(["t.txt"], kind, open: _ => new TrickleStream(Encoding.UTF8.GetBytes(text.ToString()), 7_777));
            var whole = kind == TokenKind.Bytes ? Vocabulary.ForBytes() : Vocabulary.ForChars([Utf8Text.DecodeStrict(Encoding.UTF8.GetBytes(body), "t")]);
            Assert.Equal(whole.Tokens, corpus.Vocabulary.Tokens);
            int[] expected = whole.Encode(body, out int unknown);
            Assert.Equal(0, unknown);
            Assert.Equal(expected, new TokenRange(corpus.Tokens, 0, corpus.Tokens.Count).ToArray());
        }
    }

    [Fact]
    public void An_invalid_byte_deep_in_a_stream_is_named_by_its_offset_in_the_whole_stream()
    {
        byte[] bytes = [.. Encoding.UTF8.GetBytes(new string('x', 100_000)), 0xC3, 0x28];
        var error = Assert.Throws<InvalidDataException>(() => TextCorpus.FromFiles(["deep.txt"], TokenKind.Chars, open: _ => new MemoryStream(bytes)));
        Assert.Contains("deep.txt: invalid UTF-8 at byte offset 100000", error.Message);
        byte[] truncated = [.. "ab"u8, 0xE9, 0xA5];
        error = Assert.Throws<InvalidDataException>(() => TextCorpus.FromFiles(["cut.txt"], TokenKind.Bytes, open: _ => new MemoryStream(truncated)));
        Assert.Contains("byte offset 2", error.Message);
    }

    [Fact]
    public void A_character_outside_the_given_vocabulary_is_counted_and_named()
    {
        var vocabulary = new Vocabulary(TokenKind.Chars, ["a", "b"]);
        var error = Assert.Throws<InvalidDataException>(() => TextCorpus.FromText("abzzab", "t", TokenKind.Chars, vocabulary));
        Assert.Equal("t: 2 characters are not in the model's vocabulary (first: 'z' at character 2).", error.Message);
    }

    [Fact]
    public void Token_streams_over_a_store_cut_the_same_batches_as_over_an_array()
    {
        int[] corpus = [.. Enumerable.Range(0, 403).Select(i => i * 7 % 300)];
        var fromArray = new TokenStreams(corpus, null, 4, 9);
        var fromStore = new TokenStreams(new TokenRange(TokenStore.From([5, 5, .. corpus]), 2, corpus.Length), null, 4, 9);
        var a = new TrainingBatch(9, 4, 0, 0);
        var b = new TrainingBatch(9, 4, 0, 0);
        for (int step = 0; step < fromArray.BatchesPerEpoch + 1; step++)
        {
            fromArray.NextTrain(a);
            fromStore.NextTrain(b);
            Assert.Equal(a.Tokens, b.Tokens);
            Assert.Equal(a.TokenTargets, b.TokenTargets);
        }
    }

    /// <summary>A stream that returns at most <paramref name="most"/> bytes a read, as a pipe may.</summary>
    private sealed class TrickleStream(byte[] bytes, int most) : MemoryStream(bytes, writable: false)
    {
        public override int Read(byte[] buffer, int offset, int count) => base.Read(buffer, offset, Math.Min(count, most));
    }
}
