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

    /// <summary>Each part adds its index into slot[step] and, after the barrier, checks that every part's addition is there.</summary>
    private sealed class LockstepWork(int steps) : ITeamWork
    {
        public readonly int[] Sums = new int[steps];
        public readonly int[] ThreadIds = new int[8];
        public int Mismatches, Parts;

        public void Execute(int index, int count, SpinBarrier barrier)
        {
            ThreadIds[index] = Environment.CurrentManagedThreadId;
            Parts = count;
            int expected = count * (count + 1) / 2;
            for (int s = 0; s < Sums.Length; s++)
            {
                Interlocked.Add(ref Sums[s], index + 1);
                barrier.SignalAndWait();
                if (Volatile.Read(ref Sums[s]) != expected)
                    Interlocked.Increment(ref Mismatches);
            }
        }
    }

    private sealed class FailingTeamWork : ITeamWork
    {
        public void Execute(int index, int count, SpinBarrier barrier)
        {
            for (int s = 0; s < 100; s++)
            {
                if (index == count - 1 && s == 10)
                    throw new InvalidOperationException("team part failed");
                barrier.SignalAndWait();
            }
        }
    }

    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    public void A_team_runs_its_parts_at_once_on_distinct_threads_in_lockstep(int parts)
    {
        int saved = Threads.Count;
        try
        {
            Threads.Count = parts;
            var work = new LockstepWork(2000);
            new WorkerPool().RunTeam(work, parts);   // its own pool: no earlier contended run sends it to one thread
            Assert.Equal(parts, work.Parts);
            Assert.Equal(0, work.Mismatches);
            Assert.Equal(parts, work.ThreadIds.Take(parts).Distinct().Count());
        }
        finally
        {
            Threads.Count = saved;
        }
    }

    [Fact]
    public async Task A_failing_team_part_rethrows_its_own_exception_and_frees_its_partners()
    {
        var task = Task.Run(() => Assert.Throws<InvalidOperationException>(() => WorkerPool.Shared.RunTeam(new FailingTeamWork(), 2)));
        var finished = await Task.WhenAny(task, Task.Delay(TimeSpan.FromSeconds(30)));
        Assert.True(finished == task, "the failed part's partner waited forever");
        Assert.Equal("team part failed", (await task).Message);
        var after = new LockstepWork(10);
        WorkerPool.Shared.RunTeam(after, 2);
        Assert.Equal(0, after.Mismatches);
    }

    /// <summary>LockstepWork whose parts take turns arriving late (a few milliseconds, far past the barrier's spin).</summary>
    private sealed class LateArrivalWork(int steps) : ITeamWork
    {
        public readonly int[] Sums = new int[steps];
        public int Mismatches;

        public void Execute(int index, int count, SpinBarrier barrier)
        {
            int expected = count * (count + 1) / 2;
            for (int s = 0; s < Sums.Length; s++)
            {
                if (s % count == index)
                    Thread.Sleep(3);
                Interlocked.Add(ref Sums[s], index + 1);
                barrier.SignalAndWait();
                if (Volatile.Read(ref Sums[s]) != expected)
                    Interlocked.Increment(ref Mismatches);
            }
        }
    }

    [Fact]
    public void A_team_whose_parts_wait_long_enough_to_block_still_meets_in_lockstep()
    {
        var work = new LateArrivalWork(24);
        new WorkerPool().RunTeam(work, 2);   // its own pool, whose contention record no other test sees
        Assert.Equal(0, work.Mismatches);
        Assert.All(work.Sums, sum => Assert.Equal(3, sum));
    }

    [Fact]
    public void After_a_contended_team_run_the_next_team_runs_go_on_one_thread_then_a_team_is_tried_again()
    {
        var pool = new WorkerPool();
        pool.Contention.Record(contended: true);
        for (int run = 0; run < ContentionBackoff.FirstBackoff; run++)
        {
            var alone = new LockstepWork(50);
            pool.RunTeam(alone, 2);
            Assert.Equal(1, alone.Parts);
            Assert.Equal(0, alone.Mismatches);
            Assert.All(alone.Sums, sum => Assert.Equal(1, sum));
        }
        var team = new LockstepWork(50);
        pool.RunTeam(team, 2);
        Assert.Equal(2, team.Parts);
        Assert.Equal(0, team.Mismatches);
    }

    private sealed class LateFailingTeamWork : ITeamWork
    {
        public void Execute(int index, int count, SpinBarrier barrier)
        {
            for (int s = 0; s < 20; s++)
            {
                if (index == count - 1 && s == 10)
                {
                    Thread.Sleep(20); // the partner is blocked by now
                    throw new InvalidOperationException("late team part failed");
                }
                barrier.SignalAndWait();
            }
        }
    }

    [Fact]
    public async Task A_part_that_fails_while_its_partner_is_blocked_wakes_the_partner()
    {
        var task = Task.Run(() => Assert.Throws<InvalidOperationException>(() => WorkerPool.Shared.RunTeam(new LateFailingTeamWork(), 2)));
        var finished = await Task.WhenAny(task, Task.Delay(TimeSpan.FromSeconds(30)));
        Assert.True(finished == task, "the blocked partner of the failed part was never woken");
        Assert.Equal("late team part failed", (await task).Message);
    }

    private sealed class SlowPartWork(int parts) : IParallelWork
    {
        public readonly int[] Runs = new int[parts];

        public void Execute(int index, int count)
        {
            if (index == count - 1)
                Thread.Sleep(20); // the caller, done with its own parts, blocks waiting for this one
            Interlocked.Increment(ref Runs[index]);
        }
    }

    [Fact]
    public void A_run_whose_last_part_outlasts_the_callers_spin_returns_with_every_part_done()
    {
        for (int round = 0; round < 5; round++)
        {
            var work = new SlowPartWork(3);
            WorkerPool.Shared.Run(work, 3);
            Assert.All(work.Runs, runs => Assert.Equal(1, runs));
        }
    }

    private sealed class NestedTeamWork : IParallelWork
    {
        public readonly LockstepWork[] Inner = [new(5), new(5)];

        public void Execute(int index, int count) => WorkerPool.Shared.RunTeam(Inner[index], 2);
    }

    [Fact]
    public void A_team_started_inside_a_part_runs_as_one_part()
    {
        var work = new NestedTeamWork();
        WorkerPool.Shared.Run(work, 2);
        Assert.All(work.Inner, inner => Assert.Equal(1, inner.Parts));
        Assert.All(work.Inner, inner => Assert.Equal(0, inner.Mismatches));
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
