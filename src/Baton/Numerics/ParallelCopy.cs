namespace Baton.Numerics;

/// <summary>
/// A large contiguous copy split over <see cref="Threads.Count"/> threads: one core cannot saturate memory here
/// (a 33 MB copy takes about 5 ms on one thread, 3 ms on two). Small copies stay on the calling thread.
/// </summary>
internal static unsafe class ParallelCopy
{
    /// <summary>Below this many floats per thread the copy stays serial.</summary>
    private const int MinFloatsPerThread = 1 << 18;

    [ThreadStatic] private static CopyWork? cachedWork;

    /// <summary>destination[..source.Length] = source.</summary>
    public static void Copy(ReadOnlySpan<float> source, Span<float> destination)
    {
        if (destination.Length < source.Length)
            throw new ArgumentException("Destination is too short.", nameof(destination));
        int parts = Math.Min(Threads.Count, source.Length / MinFloatsPerThread);
        if (parts <= 1)
        {
            source.CopyTo(destination);
            return;
        }
        fixed (float* s = source, d = destination)
        {
            var work = cachedWork ??= new CopyWork();
            work.Source = s;
            work.Destination = d;
            work.Length = source.Length;
            try
            {
                WorkerPool.Shared.Run(work, parts);
            }
            finally
            {
                work.Source = work.Destination = null;
            }
        }
    }

    private sealed class CopyWork : IParallelWork
    {
        public float* Source, Destination;
        public long Length;

        public void Execute(int index, int count)
        {
            long start = Length * index / count, end = Length * (index + 1) / count;
            Buffer.MemoryCopy(Source + start, Destination + start, (end - start) * sizeof(float), (end - start) * sizeof(float));
        }
    }
}
