namespace Baton.Models;

/// <summary>
/// One stream of a language model advanced a token at a time off the host (Baton.Gpu's device stream), for
/// <see cref="TextGenerator"/>: the same logits as <see cref="SequenceModel.Step(SequenceStream, ReadOnlySpan{int})"/> on a stream of batch 1.
/// </summary>
internal interface ITokenStepper : IDisposable
{
    /// <summary>Zeroes the carried state.</summary>
    void Reset();

    /// <summary>Advances the stream by token <paramref name="id"/> and returns the next-token logits [V] (valid until the next call).</summary>
    ReadOnlySpan<float> Step(int id);
}
