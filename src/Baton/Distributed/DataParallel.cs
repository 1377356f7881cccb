using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using Baton.Numerics;

namespace Baton.Distributed;

/// <summary>
/// Data-parallel training over MPI. Rank r of N takes rows [⌊r·B/N⌋, ⌊(r+1)·B/N⌋) of every global batch of B
/// sequences; after its backward pass it holds g_r, the gradient of the mean loss over its n_r loss terms. One
/// allreduce in float64 of [g_r·n_r, loss_r·n_r, n_r, tokens_r] per step gives every rank
/// g = Σ_r g_r·n_r / Σ_r n_r, the gradient of the mean loss over the whole batch, and the same loss; every rank then
/// applies the same optimizer step to the same weights. Float64 makes the sum's order irrelevant at float32
/// precision (the reduced gradient is the float32 rounding of a sum whose own rounding error is ~1e-16 relative), so the
/// result does not depend on how MPI orders the reduction; with N = 1 it is bit-identical to a run without MPI, since
/// g·n is exact in float64 for n &lt; 2²⁹.
/// </summary>
internal sealed class DataParallel
{
    private static readonly Lock InitLock = new();
    private static DataParallel? current;
    private static bool probed;
    private double[] reduceBuffer = [];
    private readonly Stopwatch reduceClock = new();

    private DataParallel(int rank, int size)
    {
        Rank = rank;
        Size = size;
    }

    /// <summary>
    /// The job this process belongs to when it was started by an MPI launcher (mpirun sets OMPI_COMM_WORLD_SIZE, srun
    /// and other PMIx launchers PMIX_RANK); null otherwise, and then nothing MPI-related is loaded. The first access
    /// initialises MPI, finalises it at process exit, aborts the job on an unhandled exception, and gives each rank
    /// ⌊cores / ranks on this node⌋ threads.
    /// </summary>
    public static DataParallel? Current
    {
        get
        {
            lock (InitLock)
            {
                if (probed)
                    return current;
                probed = true;
                if (!LaunchedByMpi())
                    return null;
                Mpi.Init();
                current = new DataParallel(Mpi.Rank, Mpi.Size);
                AppDomain.CurrentDomain.ProcessExit += (_, _) => Mpi.Shutdown();
                AppDomain.CurrentDomain.UnhandledException += (_, e) =>
                {
                    Console.Error.WriteLine($"baton: rank {Mpi.Rank} of {Mpi.Size}: {(e.ExceptionObject as Exception)?.Message ?? "unhandled exception"}");
                    Mpi.Abort(1);
                };
                if (int.TryParse(Environment.GetEnvironmentVariable("OMPI_COMM_WORLD_LOCAL_SIZE"), out int local) && local > 1)
                    Threads.Count = Math.Max(1, Environment.ProcessorCount / local);
                return current;
            }
        }
    }

    /// <summary>True when an MPI launcher started this process.</summary>
    public static bool LaunchedByMpi() =>
        Environment.GetEnvironmentVariable("OMPI_COMM_WORLD_SIZE") is not null || Environment.GetEnvironmentVariable("PMIX_RANK") is not null;

    /// <summary>This process's rank.</summary>
    public int Rank { get; }

    /// <summary>Number of ranks sharing each batch.</summary>
    public int Size { get; }

    /// <summary>True on rank 0, the one that writes files and prints.</summary>
    public bool IsRoot => Rank == 0;

    /// <summary>Wall-clock seconds spent in the per-step gradient reduction so far (float64 packing, MPI_Allreduce, unpacking).</summary>
    public double ReduceSeconds => reduceClock.Elapsed.TotalSeconds;

    /// <summary>Number of per-step gradient allreduces so far.</summary>
    public long ReduceCount { get; private set; }

    /// <summary>The rows [Start, Start + Count) of a batch of <paramref name="batchSize"/> sequences that <paramref name="rank"/> takes.</summary>
    public static (int Start, int Count) Rows(int batchSize, int rank, int size)
    {
        int start = (int)((long)rank * batchSize / size);
        int end = (int)((long)(rank + 1) * batchSize / size);
        return (start, end - start);
    }

    /// <summary>This rank's rows of a batch of <paramref name="batchSize"/> sequences.</summary>
    public (int Start, int Count) Rows(int batchSize) => Rows(batchSize, Rank, Size);


    /// <summary>
    /// Sums the step's gradients and loss over the ranks (one float64 allreduce): on return <paramref name="grad"/> is the
    /// gradient of the mean loss over every rank's <paramref name="count"/> terms, and the return value that mean loss.
    /// <paramref name="tokens"/> is summed too. A non-finite local loss makes the global one non-finite on every rank.
    /// </summary>
    public double ReduceStep(Span<float> grad, double loss, long count, ref long tokens)
    {
        reduceClock.Start();
        int P = grad.Length;
        if (reduceBuffer.Length != P + 3)
            reduceBuffer = new double[P + 3];
        var buffer = reduceBuffer.AsSpan();
        double n = count;
        for (int i = 0; i < P; i++)
            buffer[i] = grad[i] * n;
        buffer[P] = count > 0 ? loss * n : 0;
        buffer[P + 1] = n;
        buffer[P + 2] = tokens;
        Mpi.AllreduceSum(buffer);
        ReduceCount++;
        double total = buffer[P + 1];
        tokens = (long)buffer[P + 2];
        double mean = 0;
        if (total == 0)
        {
            grad.Clear();
        }
        else
        {
            for (int i = 0; i < P; i++)
                grad[i] = (float)(buffer[i] / total);
            mean = buffer[P] / total;
        }
        reduceClock.Stop();
        return mean;
    }

    /// <summary>Element-wise sum of <paramref name="values"/> over the ranks, in place.</summary>
    public void Sum(Span<double> values) => Mpi.AllreduceSum(values);

    /// <summary>True on every rank when <paramref name="flag"/> is true on at least one.</summary>
    public bool Any(bool flag)
    {
        Span<double> value = [flag ? 1 : 0];
        Mpi.AllreduceSum(value);
        return value[0] > 0;
    }

    /// <summary>Copies rank 0's <paramref name="values"/> to every rank.</summary>
    public void Broadcast(Span<float> values) => Mpi.Broadcast(values, 0);

    /// <summary>
    /// Fails on every rank whose <paramref name="settings"/> differ from rank 0's (a SHA-256 of the text is compared),
    /// so that a job whose ranks were started with different options or data stops before its first step.
    /// </summary>
    public void CheckSameSettings(string settings)
    {
        byte[] mine = SHA256.HashData(Encoding.UTF8.GetBytes(settings));
        byte[] root = (byte[])mine.Clone();
        Mpi.Broadcast(root, 0);
        if (!mine.AsSpan().SequenceEqual(root))
            throw new ArgumentException($"rank {Rank} was started with other settings or data than rank 0 ({settings}).");
    }

    /// <summary>
    /// The whole batch's carried state [blocks, B, width] from every rank's rows [blocks, rows_r, width] (a float32
    /// allreduce of zero-padded copies: each element has one non-zero contributor, so the sum is exact).
    /// </summary>
    public float[] GatherRows(ReadOnlySpan<float> local, int blocks, int batchSize, int globalLength)
    {
        var all = new float[globalLength];
        var (start, count) = Rows(batchSize);
        if (blocks > 0 && count > 0)
        {
            int width = globalLength / (blocks * batchSize);
            for (int k = 0; k < blocks; k++)
                local.Slice(k * count * width, count * width).CopyTo(all.AsSpan((k * batchSize + start) * width, count * width));
        }
        Mpi.AllreduceSum(all);
        return all;
    }

    /// <summary>This rank's rows [blocks, rows_r, width] of a whole batch's state [blocks, B, width].</summary>
    public void ScatterRows(ReadOnlySpan<float> all, Span<float> local, int blocks, int batchSize)
    {
        var (start, count) = Rows(batchSize);
        if (blocks == 0 || all.IsEmpty)
            return;
        int width = all.Length / (blocks * batchSize);
        for (int k = 0; k < blocks; k++)
            all.Slice((k * batchSize + start) * width, count * width).CopyTo(local.Slice(k * count * width, count * width));
    }
}
