using System.Runtime.Intrinsics;
using Baton.Numerics;

namespace Baton.Lab.Bench.Rows;

/// <summary>
/// <c>cache-read</c>: the rate of reading a 16 MB float array that stays in the last-level cache,
/// summed with vectors by <see cref="Threads.Count"/> threads (each its own half). The yardstick for
/// <c>recurrent-step-m1-*</c>, whose time is bound by reading the weights.
/// </summary>
internal sealed class CacheReadRow : IBenchRow
{
    private const int Bytes = 16 << 20;

    public string Name => "cache-read";

    public string Description => "read rate of a 16 MB cache-resident array, GB/s";

    public BenchWork Prepare()
    {
        var data = GC.AllocateArray<float>(Bytes / sizeof(float), pinned: true);
        data.AsSpan().Fill(1f);
        var work = new SumWork(data);
        return new BenchWork(() => WorkerPool.Shared.Run(work, Threads.Count), Bytes: Bytes);
    }

    private sealed class SumWork(float[] data) : IParallelWork
    {
        public float Sink;

        public unsafe void Execute(int index, int count)
        {
            int per = data.Length / count / 64 * 64;
            int start = per * index;
            int end = index == count - 1 ? data.Length : start + per;
            var s0 = Vector512<float>.Zero;
            var s1 = Vector512<float>.Zero;
            var s2 = Vector512<float>.Zero;
            var s3 = Vector512<float>.Zero;
            fixed (float* p = data)
            {
                for (int i = start; i < end; i += 64)
                {
                    s0 += Vector512.Load(p + i);
                    s1 += Vector512.Load(p + i + 16);
                    s2 += Vector512.Load(p + i + 32);
                    s3 += Vector512.Load(p + i + 48);
                }
            }
            Sink = Vector512.Sum(s0 + s1 + s2 + s3);
        }
    }
}
