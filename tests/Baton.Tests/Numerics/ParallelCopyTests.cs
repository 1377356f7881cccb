using Baton.Numerics;
using Baton.Tests.Parallel;

namespace Baton.Tests.Numerics;

public class ParallelCopyTests
{
    [Fact]
    public void Copies_every_element_and_nothing_past_the_source_for_any_thread_count()
    {
        foreach (int n in new[] { 0, 1, 1000, (1 << 19) + 3, (3 << 18) + 7 })
        {
            var source = ScanReference.Uniform(new Rng(15), n, -1f, 1f);
            for (int threads = 1; threads <= 3; threads++)
            {
                var destination = new float[n + 5];
                Array.Fill(destination, 7f);
                ScanReference.WithThreads(threads, () => ParallelCopy.Copy(source, destination));
                Assert.True(source.AsSpan().SequenceEqual(destination.AsSpan(0, n)), $"n={n} threads={threads}");
                Assert.All(destination.AsSpan(n).ToArray(), v => Assert.Equal(7f, v));
            }
        }
    }
}
