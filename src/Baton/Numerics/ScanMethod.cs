namespace Baton.Numerics;

/// <summary>How <see cref="LinearScan"/> splits the recurrence h_t = a_t ⊙ h_{t-1} + b_t over threads.</summary>
internal enum ScanMethod
{
    /// <summary>
    /// Picks by shape alone (never by thread count): <see cref="Channels"/> when N ≥
    /// <see cref="LinearScan.MinChannelsForChannelSplit"/> and T·N ≥ <see cref="LinearScan.MinElementsForThreads"/>,
    /// otherwise <see cref="Sequential"/> (see <see cref="LinearScan.Resolve"/>).
    /// </summary>
    Auto,

    /// <summary>One thread, one pass over time: the reference loop.</summary>
    Sequential,

    /// <summary>
    /// Each thread runs the sequential loop over its own block of channels (columns). Bit-identical to
    /// <see cref="Sequential"/>; the default whenever N is large enough to feed every thread a few vectors.
    /// </summary>
    Channels,

    /// <summary>
    /// Two-pass scan over time chunks (the GPU-style algorithm): pass 1 scans each chunk from a zero state and
    /// multiplies its coefficients; a short serial pass carries the true state across chunk boundaries; pass 2
    /// adds (∏ a) · carry inside every chunk. The chunk count depends on T only, so results do not depend on the
    /// thread count; they differ from <see cref="Sequential"/> by rounding only.
    /// </summary>
    TimeChunks,
}
