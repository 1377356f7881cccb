using System.Diagnostics;

namespace Baton.Numerics;

/// <summary>
/// The barrier between the time steps of a team run (<see cref="WorkerPool.RunTeam"/>): every part arrives, the last one
/// opens the next phase. Waiting spins on one field first, so a step boundary costs one cache-line hand-over between
/// cores (a few hundred nanoseconds) instead of a fork and a join; a wait that outlasts the spin (a partner descheduled
/// because other processes hold the cores) yields a few times and then blocks, so that the waiting thread gives its core
/// to the partner it waits for instead of competing with it. A part that fails breaks the barrier, so the others throw
/// instead of waiting for it forever.
/// </summary>
internal sealed class SpinBarrier
{
    /// <summary>Polls before a waiting part starts yielding its core (tens of microseconds).</summary>
    private const int TightPolls = 4_000;

    /// <summary>Yields of the core after the polls, before the part blocks until the phase opens.</summary>
    private const int Yields = 16;

    private int parties = 1;
    private int arrived;
    private readonly int[] phase = new int[32];   // phase[16]: its own cache line, apart from arrived
    private volatile bool broken;
    private readonly object sleepLock = new();
    private int sleepers;
    private int phases, longWaits;
    private long waitTicks, startTicks;
    private bool mayDissolve;
    private volatile bool dissolved;

    /// <summary>Waits past the spin a run must have had before it may dissolve (the first wake-up of a sleeping worker is one).</summary>
    public const int DissolveAfterLongWaits = 4;

    /// <summary>Tests: the phase at which every team run that may dissolve does (0: only by waiting).</summary>
    internal static int ForceDissolveAtPhase;

    /// <summary>Parts that must arrive before a phase opens.</summary>
    public int Parties => parties;

    /// <summary>Phases opened since <see cref="Reset"/>.</summary>
    public int Phases => Volatile.Read(ref phases);

    /// <summary>Waits since <see cref="Reset"/> that outlasted the spin.</summary>
    public int LongWaits => Volatile.Read(ref longWaits);

    /// <summary>
    /// True from the phase at which the parts of this run had spent more than a quarter of their time in waits that
    /// outlasted the spin (at least <see cref="DissolveAfterLongWaits"/> of them): partners keep losing their cores to
    /// other processes, and the team is no faster than one thread. Jitter between long steps does not count: its waits
    /// are a small part of the steps. Set by the last arrival before it opens the phase, so every part reads the same
    /// value after the same <see cref="SignalAndWait"/>; the barrier itself keeps working either way.
    /// </summary>
    public bool Dissolved => dissolved;

    /// <summary>
    /// Prepares the barrier for a new run of <paramref name="count"/> parts; <paramref name="mayDissolve"/> lets waiting
    /// set <see cref="Dissolved"/>.
    /// </summary>
    internal void Reset(int count, bool mayDissolve = false)
    {
        parties = count;
        arrived = 0;
        broken = false;
        phases = 0;
        longWaits = 0;
        waitTicks = 0;
        this.mayDissolve = mayDissolve;
        dissolved = false;
        startTicks = mayDissolve ? Stopwatch.GetTimestamp() : 0;
    }

    /// <summary>Marks the run as failed: every waiting and later <see cref="SignalAndWait"/> throws.</summary>
    internal void Break()
    {
        broken = true;
        lock (sleepLock)
            Monitor.PulseAll(sleepLock);
    }

    /// <summary>Arrives and waits until every part of the team has arrived.</summary>
    public void SignalAndWait()
    {
        if (parties == 1)
            return;
        ref int current = ref phase[16];
        int p = Volatile.Read(ref current);
        if (Interlocked.Increment(ref arrived) == parties)
        {
            arrived = 0;                       // nobody arrives again before the phase below opens
            phases++;                          // only the last arrival writes it, before the phase opens
            if (mayDissolve && !dissolved)
            {
                // Timestamps only once enough long waits have happened: the common phase costs nothing extra.
                dissolved = phases == ForceDissolveAtPhase || Volatile.Read(ref longWaits) >= DissolveAfterLongWaits &&
                    4 * Interlocked.Read(ref waitTicks) > (long)parties * (Stopwatch.GetTimestamp() - startTicks);
            }
            Interlocked.Exchange(ref current, p + 1); // full fence: the phase is published before sleepers is read
            if (Volatile.Read(ref sleepers) > 0)
            {
                lock (sleepLock)
                    Monitor.PulseAll(sleepLock);
            }
            return;
        }
        var spinner = new SpinWait();
        long waitStart = 0;
        for (int polls = 0; Volatile.Read(ref current) == p; polls++)
        {
            if (broken)
                throw new OperationCanceledException("Another part of this team run failed.");
            if (polls < TightPolls)
            {
                Thread.SpinWait(1);
            }
            else if (polls < TightPolls + Yields)
            {
                if (polls == TightPolls)
                {
                    Interlocked.Increment(ref longWaits);
                    waitStart = Stopwatch.GetTimestamp();
                }
                spinner.SpinOnce(sleep1Threshold: -1);
            }
            else
            {
                lock (sleepLock)
                {
                    Interlocked.Increment(ref sleepers); // full fence: counted before the phase is re-read
                    while (Volatile.Read(ref current) == p && !broken)
                        Monitor.Wait(sleepLock);
                    Interlocked.Decrement(ref sleepers);
                }
            }
        }
        if (waitStart != 0)
            Interlocked.Add(ref waitTicks, Stopwatch.GetTimestamp() - waitStart);
    }
}
