using Baton.Numerics;

namespace Baton.Tests.Numerics;

public class WorkerPoolTests
{
    private sealed class CountingWork(int parts) : IParallelWork
    {
        public readonly int[] Runs = new int[parts];
        public int SeenCount = -1;

        public void Execute(int index, int count)
        {
            Interlocked.Increment(ref Runs[index]);
            SeenCount = count;
        }
    }

    private sealed class FailingWork : IParallelWork
    {
        public int Finished;

        public void Execute(int index, int count)
        {
            if (index == count - 1)
                throw new InvalidOperationException("part failed");
            Interlocked.Increment(ref Finished);
        }
    }

    private sealed class NestedWork : IParallelWork
    {
        public void Execute(int index, int count) => WorkerPool.Shared.Run(new CountingWork(3), 3);
    }

    [Fact]
    public void Every_part_runs_exactly_once_with_the_requested_count()
    {
        for (int round = 0; round < 200; round++)
        {
            int parts = 1 + round % 5;
            var work = new CountingWork(parts);
            WorkerPool.Shared.Run(work, parts);
            Assert.All(work.Runs, r => Assert.Equal(1, r));
            Assert.Equal(parts, work.SeenCount);
        }
    }

    [Fact]
    public void A_failing_part_rethrows_its_own_exception_after_the_other_parts_finish()
    {
        var work = new FailingWork();
        var e = Assert.Throws<InvalidOperationException>(() => WorkerPool.Shared.Run(work, 4));
        Assert.Equal("part failed", e.Message);
        Assert.Equal(3, work.Finished);
        var after = new CountingWork(2);
        WorkerPool.Shared.Run(after, 2);
        Assert.All(after.Runs, r => Assert.Equal(1, r));
    }

    [Fact]
    public async Task A_run_started_inside_a_part_completes_inline()
    {
        var task = Task.Run(() => WorkerPool.Shared.Run(new NestedWork(), 2));
        var finished = await Task.WhenAny(task, Task.Delay(TimeSpan.FromSeconds(30)));
        Assert.True(finished == task, "nested run deadlocked");
        await task;
    }
}
