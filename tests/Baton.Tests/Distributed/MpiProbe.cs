using System.Globalization;
using Baton.Distributed;

namespace Baton.Tests.Distributed;

/// <summary>
/// The test assembly's entry point. <c>dotnet Baton.Tests.dll mpi-probe</c>, started by mpirun, exercises the MPI binding
/// and prints one line per rank for <see cref="MpiBindingTests"/> to check; the test runner never calls it.
/// <c>mpi-probe bench COUNT REPEATS</c> times the in-place allreduce of COUNT float64 and float32 values (a barrier before
/// each, so the time excludes waiting for other ranks) and prints the medians on rank 0.
/// </summary>
public static class MpiProbe
{
    /// <summary>Elements in each probe buffer.</summary>
    public const int Length = 1000;

    /// <summary>Rank r's float contribution at i: (r + 1)·(i + 1), an integer, so every sum is exact.</summary>
    public static float FloatValue(int rank, int i) => (rank + 1) * (i + 1f);

    /// <summary>Rank r's double contribution at i: (r + 1)·0.1 + i·1e-3, not exact in binary.</summary>
    public static double DoubleValue(int rank, int i) => (rank + 1) * 0.1 + i * 1e-3;

    /// <summary>Rank 0's broadcast buffer at i (other ranks start from −1).</summary>
    public static float BroadcastValue(int i) => i * 0.5f - 7f;

    public static int Main(string[] args)
    {
        if (args is ["mpi-probe", "bench", var countText, var repeatText])
            return Bench(int.Parse(countText, CultureInfo.InvariantCulture), int.Parse(repeatText, CultureInfo.InvariantCulture));
        if (args is not ["mpi-probe"])
        {
            Console.Error.WriteLine("usage: dotnet Baton.Tests.dll mpi-probe [bench COUNT REPEATS] (under mpirun)");
            return 2;
        }
        var job = DataParallel.Current ?? throw new InvalidOperationException("mpi-probe must be started by mpirun.");
        int rank = job.Rank, size = job.Size;
        var floats = new float[Length];
        var doubles = new double[Length];
        var broadcast = new float[Length];
        for (int i = 0; i < Length; i++)
        {
            floats[i] = FloatValue(rank, i);
            doubles[i] = DoubleValue(rank, i);
            broadcast[i] = rank == 0 ? BroadcastValue(i) : -1f;
        }
        Mpi.AllreduceSum(floats.AsSpan());
        Mpi.AllreduceSum(doubles.AsSpan());
        Mpi.Broadcast(broadcast.AsSpan(), 0);
        Mpi.Barrier();
        // One line per rank: rank, size, then the reduced and broadcast values at a few indices, round-trip formatted.
        int[] at = [0, 1, 499, Length - 1];
        string F(float x) => x.ToString("R", CultureInfo.InvariantCulture);
        string D(double x) => x.ToString("R", CultureInfo.InvariantCulture);
        Console.Out.WriteLine(string.Join(' ', new[] { "probe", rank.ToString(CultureInfo.InvariantCulture), size.ToString(CultureInfo.InvariantCulture) }
            .Concat(at.Select(i => $"{i}:{F(floats[i])}:{D(doubles[i])}:{F(broadcast[i])}"))));
        Console.Out.Flush();
        return 0;
    }

    private static int Bench(int count, int repeats)
    {
        var job = DataParallel.Current ?? throw new InvalidOperationException("mpi-probe must be started by mpirun.");
        var doubles = new double[count];
        var floats = new float[count];
        double Median(Action reduce)
        {
            var times = new double[repeats];
            for (int i = 0; i < repeats; i++)
            {
                Mpi.Barrier();
                long start = System.Diagnostics.Stopwatch.GetTimestamp();
                reduce();
                times[i] = System.Diagnostics.Stopwatch.GetElapsedTime(start).TotalMilliseconds;
            }
            Array.Sort(times);
            return times[repeats / 2];
        }
        double f64 = Median(() => Mpi.AllreduceSum(doubles.AsSpan()));
        double f32 = Median(() => Mpi.AllreduceSum(floats.AsSpan()));
        if (job.IsRoot)
            Console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"allreduce of {count} values on {job.Size} ranks, median of {repeats}: float64 {f64:F2} ms, float32 {f32:F2} ms"));
        return 0;
    }
}
