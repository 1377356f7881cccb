using Baton.Data;
using Baton.Numerics;

namespace Baton.Models;

/// <summary>
/// Generates text from a language model one token at a time with the streaming Step API: the prime
/// is fed token by token, then each chosen token is fed back. Nothing is recomputed.
/// </summary>
internal sealed class TextGenerator
{
    private readonly SequenceModel model;
    private readonly SequenceStream stream;
    private readonly TokenSampler sampler;
    private readonly ITokenStepper? device;
    private readonly int[] one = new int[1];
    private readonly float[] logits;

    /// <summary>A generator over <paramref name="model"/> (task "lm") starting from a zero state; each step runs on <paramref name="device"/> when one is given (the caller disposes it).</summary>
    public TextGenerator(SequenceModel model, ITokenStepper? device = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (model.Config.TaskKind != TaskKind.Lm)
            throw new ArgumentException($"Text generation needs a language model (task \"lm\"); this model's task is \"{model.Config.Task}\".", nameof(model));
        if (model.Config.Bidirectional)
            throw new ArgumentException("A bidirectional model sees the future and cannot generate text step by step.", nameof(model));
        this.model = model;
        this.device = device;
        Vocabulary = new Vocabulary(model.Config.Tokens == "bytes" ? TokenKind.Bytes : TokenKind.Chars, model.Config.Vocab);
        stream = model.CreateStream(1);
        sampler = new TokenSampler(Vocabulary.Count);
        logits = new float[Vocabulary.Count];
    }

    /// <summary>The model's vocabulary.</summary>
    public Vocabulary Vocabulary { get; }

    /// <summary>The logits after the last fed token (empty before the first).</summary>
    public ReadOnlySpan<float> Logits => logits;

    /// <summary>True once at least one token has been fed.</summary>
    public bool HasContext { get; private set; }

    /// <summary>Back to the zero state.</summary>
    public void Reset()
    {
        stream.Reset();
        device?.Reset();
        HasContext = false;
    }

    /// <summary>Feeds one token and keeps the logits for the next.</summary>
    public void Feed(int id)
    {
        if (device is not null)
        {
            if ((uint)id >= (uint)logits.Length)
                throw new ArgumentOutOfRangeException(nameof(id), $"token id {id} is outside the vocabulary [0, {logits.Length}).");
            device.Step(id).CopyTo(logits);
            HasContext = true;
            return;
        }
        one[0] = id;
        var output = model.Step(stream, one);
        output.CopyTo(logits);
        HasContext = true;
    }

    /// <summary>Feeds every token of <paramref name="text"/>. Returns the number of tokens not in the vocabulary (skipped).</summary>
    public int Feed(string text)
    {
        int[] ids = Vocabulary.Encode(text, out int unknown);
        foreach (int id in ids)
        {
            if (id >= 0)
                Feed(id);
        }
        return unknown;
    }

    /// <summary>Picks the next token (see <see cref="TokenSampler"/>), feeds it back and returns it.</summary>
    public int Next(float temperature, int topK, float topP, Rng rng)
    {
        if (!HasContext)
            throw new InvalidOperationException("Feed at least one token before generating.");
        int id = sampler.Next(logits, temperature, topK, topP, rng);
        Feed(id);
        return id;
    }

    /// <summary>The greedy continuation of <paramref name="prompt"/> from a zero state, <paramref name="length"/> tokens long.</summary>
    public string Complete(string prompt, int length)
    {
        Reset();
        Feed(prompt);
        var ids = new int[length];
        for (int i = 0; i < length; i++)
            ids[i] = Next(0, 0, 1, DeterministicRng);
        return Vocabulary.Decode(ids);
    }

    // Greedy decoding never draws from it.
    private static readonly Rng DeterministicRng = new(0);
}
