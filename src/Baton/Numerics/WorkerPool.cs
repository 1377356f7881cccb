namespace Baton.Numerics;

/// <summary>
/// A persistent pool of worker threads. <see cref="Run"/> executes parts 0..count-1 of a work item,
/// the caller's thread taking part 0, and returns when all parts are done. Workers spin briefly
/// before sleeping so that the per-time-step barrier of a recurrent layer costs microseconds.
/// </summary>
public sealed class WorkerPool
{
    /// <summary>The pool shared by all of Baton; its width follows <see cref="Threads.Count"/>.</summary>
    public static WorkerPool Shared { get; } = new();

    private const int SpinsBeforeSleep = 20_000;

    /// <summary>True on a pool worker thread: a Run from inside a part runs its parts inline.</summary>
    [ThreadStatic] private static bool isWorker;

    private readonly object gate = new();
    private Worker[] workers = [];
    private IParallelWork? current;
    private int currentCount;
    private int pending;
    private Exception? failure;

    private sealed class Worker
    {
        public int Assigned; // 1 while a part is waiting for this worker
        public Thread? Thread;
    }

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
        {
            EnsureWorkers(count - 1);
            current = work;
            currentCount = count;
            failure = null;
            Volatile.Write(ref pending, count - 1);
            for (int i = 0; i < count - 1; i++)
                Volatile.Write(ref workers[i].Assigned, 1);
            try
            {
                work.Execute(0, count);
            }
            finally
            {
                var spinner = new SpinWait();
                while (Volatile.Read(ref pending) != 0)
                    spinner.SpinOnce(sleep1Threshold: -1);
                current = null;
            }
            if (failure is { } f)
                throw new AggregateException(f);
        }
    }

    private void EnsureWorkers(int needed)
    {
        if (workers.Length >= needed)
            return;
        var grown = new Worker[needed];
        Array.Copy(workers, grown, workers.Length);
        for (int i = workers.Length; i < needed; i++)
        {
            var worker = new Worker();
            int part = i + 1;
            worker.Thread = new Thread(() => WorkerLoop(worker, part)) { IsBackground = true, Name = $"baton-worker-{part}" };
            grown[i] = worker;
            worker.Thread.Start();
        }
        workers = grown;
    }

    private void WorkerLoop(Worker self, int part)
    {
        isWorker = true;
        while (true)
        {
            int spins = 0;
            while (Volatile.Read(ref self.Assigned) == 0)
            {
                if (++spins > SpinsBeforeSleep)
                    Thread.Sleep(1);
                else
                    Thread.SpinWait(20);
            }
            var work = current!;
            int count = currentCount;
            try { work.Execute(part, count); }
            catch (Exception e) { failure = e; }
            Volatile.Write(ref self.Assigned, 0);
            Interlocked.Decrement(ref pending);
        }
    }
}
