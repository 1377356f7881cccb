namespace Baton.Numerics;

/// <summary>
/// The one thread-count setting that every Baton kernel respects.
/// Results never depend on it: work is split by output rows, never by a reduction.
/// </summary>
internal static class Threads
{
    private static int count = Environment.ProcessorCount;

    /// <summary>Number of threads used by GEMM and the recurrent layers (default: processor count).</summary>
    public static int Count
    {
        get => count;
        set
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, 1, nameof(value));
            count = value;
        }
    }
}
