using System.Runtime.ExceptionServices;

namespace Baton.Numerics;

/// <summary>
/// A persistent pool of worker threads. <see cref="Run"/> executes parts 0..count-1 of a work item and
/// returns when all are done. The calling thread and the workers claim parts from a shared counter, so a
/// worker that the operating system has not scheduled yet never holds the caller up: the caller runs the
/// parts nobody has claimed. Which thread runs a part never changes what the part computes.
/// Workers spin briefly before sleeping so that the per-time-step fork-join of a recurrent layer costs
/// microseconds; every wait (an idle worker, the caller waiting for the last part) then blocks rather than yields
/// forever, so that when other processes hold the cores a waiting thread hands its core to the one it waits for.
/// </summary>
internal sealed class WorkerPool
{
    /// <summary>The pool shared by all of Baton; its width follows <see cref="Threads.Count"/>.</summary>
    public static WorkerPool Shared { get; } = new();

    /// <summary>Idle polls (each a few tens of nanoseconds) before a worker blocks: about half a millisecond of spinning.</summary>
    private const int SpinsBeforeSleep = 16_000;

    /// <summary>Polls of the caller for the other parts before it starts yielding its core (tens of microseconds).</summary>
    private const int TightPolls = 2_000;

    /// <summary>Yields of the caller's core after its polls, before it blocks until the last part is done.</summary>
    private const int Yields = 16;

    /// <summary>True on a pool worker thread: a Run from inside a part runs its parts inline.</summary>
    [ThreadStatic] private static bool isWorker;

    private readonly object gate = new();
    private readonly object sleepLock = new();
    private readonly object doneLock = new();   // the caller's sleep, apart from the idle workers'
    private int workerCount;
    private IParallelWork? current;
    private int currentCount;
    private bool currentSingle;   // a team run: each thread runs at most one part
    private readonly TeamRun team = new();
    private readonly SpinBarrier solo = new();
    private readonly ContentionBackoff backoff = new();

    /// <summary>When team runs go on one thread (tests set it).</summary>
    internal ContentionBackoff Contention => backoff;
    private int generation;
    private long claim; // (generation << 32) | next unclaimed part
    private int done;
    private int sleepers;
    private int callerSleeping;
    private Exception? failure;

    /// <summary>Runs <paramref name="work"/> split into <paramref name="count"/> parts (count ≤ 1 runs inline).</summary>
    public void Run(IParallelWork work, int count)
    {
        ArgumentNullException.ThrowIfNull(work);
        if (count <= 1 || isWorker || Monitor.IsEntered(gate))
        {
            // Nested calls from inside a part run serially rather than deadlock.
            for (int part = 0; part < Math.Max(count, 1); part++)
                work.Execute(part, Math.Max(count, 1));
            return;
        }
        lock (gate)
            RunLocked(work, count, single: false);
    }

    /// <summary>
    /// Runs the <paramref name="count"/> parts of <paramref name="work"/> at the same time, each on its own thread (the
    /// caller's and count − 1 workers), sharing one <see cref="SpinBarrier"/>: the shape of a recurrence split by hidden
    /// units, whose parts meet once per time step. Inside another run's part, or with count ≤ 1, it runs as one part;
    /// so it does for a while after team runs whose partners kept losing their cores to other processes
    /// (<see cref="ContentionBackoff"/>).
    /// </summary>
    public void RunTeam(ITeamWork work, int count)
    {
        ArgumentNullException.ThrowIfNull(work);
        if (count <= 1 || isWorker || Monitor.IsEntered(gate))
        {
            // A barrier cannot be met by one thread running the parts in turn: the work runs as a single part.
            solo.Reset(1);
            work.Execute(0, 1, solo);
            return;
        }
        lock (gate)
        {
            if (backoff.RunSolo())
            {
                solo.Reset(1);
                work.Execute(0, 1, solo);
                return;
            }
            team.Work = work;
            team.Barrier.Reset(count, mayDissolve: true);
            try
            {
                RunLocked(team, count, single: true);
                backoff.Record(contended: team.Barrier.Dissolved);
            }
            finally
            {
                team.Work = null;
            }
        }
    }

    private void RunLocked(IParallelWork work, int count, bool single)
    {
        EnsureWorkers(count - 1);
        current = work;
        currentCount = count;
        currentSingle = single;
        failure = null;
        Volatile.Write(ref done, 0);
        int gen = generation + 1;
        Interlocked.Exchange(ref claim, (long)gen << 32);
        Interlocked.Exchange(ref generation, gen); // full fence: published before sleepers is read
        if (Volatile.Read(ref sleepers) > 0)
        {
            lock (sleepLock)
                Monitor.PulseAll(sleepLock);
        }
        Participate(gen, work, count, single);
        // Parts still running elsewhere finish within microseconds: poll tightly first (SpinWait.SpinOnce starts
        // yielding the core after ten polls, a system call each), then yield in case that thread was descheduled,
        // then block until the last part's thread wakes this one.
        for (int polls = 0; Volatile.Read(ref done) < count && polls < TightPolls; polls++)
            Thread.SpinWait(1);
        var spinner = new SpinWait();
        for (int yields = 0; Volatile.Read(ref done) < count && yields < Yields; yields++)
            spinner.SpinOnce(sleep1Threshold: -1);
        if (Volatile.Read(ref done) < count)
        {
            lock (doneLock)
            {
                Interlocked.Exchange(ref callerSleeping, 1); // full fence: announced before done is re-read
                while (Volatile.Read(ref done) < count)
                    Monitor.Wait(doneLock);
                Volatile.Write(ref callerSleeping, 0);
            }
        }
        current = null;
        if (failure is { } f)
            ExceptionDispatchInfo.Throw(f);
    }

    /// <summary>Claims and runs parts of run <paramref name="gen"/> until none is left, or one when <paramref name="single"/>.</summary>
    private void Participate(int gen, IParallelWork? work, int count, bool single)
    {
        while (true)
        {
            long c = Volatile.Read(ref claim);
            if ((int)(c >> 32) != gen || (int)c >= count)
                return;
            if (Interlocked.CompareExchange(ref claim, c + 1, c) != c)
                continue;
            try
            {
                work!.Execute((int)c, count);
            }
            catch (Exception e)
            {
                // A team's partners of a failed part fail with OperationCanceledException: report the cause instead.
                if (Interlocked.CompareExchange(ref failure, e, null) is OperationCanceledException && e is not OperationCanceledException)
                    Volatile.Write(ref failure, e);
            }
            // A full fence: done is counted before callerSleeping is read.
            if (Interlocked.Increment(ref done) == count && Volatile.Read(ref callerSleeping) != 0)
            {
                lock (doneLock)
                    Monitor.PulseAll(doneLock);
            }
            if (single)
                return;
        }
    }

    /// <summary>A team run as pool work: a failing part breaks the barrier so that its partners stop waiting.</summary>
    private sealed class TeamRun : IParallelWork
    {
        public ITeamWork? Work;
        public readonly SpinBarrier Barrier = new();

        public void Execute(int index, int count)
        {
            try
            {
                Work!.Execute(index, count, Barrier);
            }
            catch
            {
                Barrier.Break();
                throw;
            }
        }
    }

    private void EnsureWorkers(int needed)
    {
        while (workerCount < needed)
        {
            // The worker starts from the generation before the run that made it: read when its thread starts, it could
            // already be this run's, which the worker would then skip; a team run cannot finish without it.
            int seen = generation;
            var thread = new Thread(() => WorkerLoop(seen)) { IsBackground = true, Name = $"baton-worker-{workerCount + 1}" };
            thread.Start();
            workerCount++;
        }
    }

    private void WorkerLoop(int seen)
    {
        isWorker = true;
        while (true)
        {
            int spins = 0;
            int gen;
            while ((gen = Volatile.Read(ref generation)) == seen)
            {
                if (++spins <= SpinsBeforeSleep)
                {
                    Thread.SpinWait(1);
                    continue;
                }
                lock (sleepLock)
                {
                    Interlocked.Increment(ref sleepers); // full fence: counted before generation is re-read
                    if (Volatile.Read(ref generation) == seen)
                        Monitor.Wait(sleepLock);
                    Interlocked.Decrement(ref sleepers);
                }
                spins = 0;
            }
            seen = gen;
            // The work read here belongs to run gen or a later one; a part is only run after claiming it
            // under gen's tag, which fails once that run is over.
            Participate(gen, Volatile.Read(ref current), Volatile.Read(ref currentCount), Volatile.Read(ref currentSingle));
        }
    }
}
