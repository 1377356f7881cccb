using System.Diagnostics;
using Baton.Numerics;

namespace Baton.Lab.Bench;

/// <summary>Times a row: warm-up, then the median of repeated samples.</summary>
public static class BenchRunner
{
    /// <summary>A sample lasts at least this long: fast rows repeat their work inside one sample.</summary>
    private const double MinSampleMs = 20;

    /// <summary>
    /// Warm-up lasts at least this long (and at least two repetitions), so the JIT has settled: tiered compilation
    /// takes about half a second to promote a row's hot loops, and a row measured after 300 ms could still run
    /// 10× slow (stream-lstm-128 read 95–146 µs as a process's first row, 7–10 µs from its second run on).
    /// </summary>
    private const double WarmupMs = 1000;

    /// <summary>Measures the row of <paramref name="registry"/> called <paramref name="name"/>; a missing row or a failure becomes an error result.</summary>
    public static BenchResult Measure(BenchRegistry registry, string name, int repeat)
    {
        ArgumentNullException.ThrowIfNull(registry);
        var row = registry.Find(name);
        if (row is null)
            return new BenchResult(name, null, null, null, null, Threads.Count, Error: "not implemented yet");
        try
        {
            return Measure(row, repeat);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            return new BenchResult(name, null, null, null, null, Threads.Count, Error: $"{e.GetType().Name}: {e.Message}");
        }
    }

    /// <summary>Measures <paramref name="row"/>: median over <paramref name="repeat"/> samples.</summary>
    public static BenchResult Measure(IBenchRow row, int repeat)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(repeat, 1);
        var work = row.Prepare();
        try
        {
            return Time(row.Name, work, repeat);
        }
        finally
        {
            work.Resources?.Dispose();
        }
    }

    private static BenchResult Time(string name, BenchWork work, int repeat)
    {
        var clock = Stopwatch.StartNew();
        int warmups = 0;
        while (warmups < 2 || clock.Elapsed.TotalMilliseconds < WarmupMs)
        {
            work.Run();
            warmups++;
        }
        double perRunMs = clock.Elapsed.TotalMilliseconds / warmups;
        int batch = (int)Math.Clamp(Math.Ceiling(MinSampleMs / Math.Max(perRunMs, 1e-6)), 1, 1_000_000);
        var samples = new double[repeat];
        for (int s = 0; s < repeat; s++)
        {
            long start = Stopwatch.GetTimestamp();
            for (int i = 0; i < batch; i++)
                work.Run();
            samples[s] = Stopwatch.GetElapsedTime(start).TotalMilliseconds / batch;
        }
        Array.Sort(samples);
        double median = repeat % 2 == 1 ? samples[repeat / 2] : 0.5 * (samples[repeat / 2 - 1] + samples[repeat / 2]);
        double seconds = median / 1000;
        return new BenchResult(name, median,
            work.Flops / seconds / 1e9,
            work.Tokens / seconds,
            work.Steps is { } steps ? median * 1000 / steps : null,
            Threads.Count,
            work.Bytes / seconds / 1e9,
            PeakMegabytes: work.HeldBytes / 1e6,
            MinimumMegabytes: work.MinimumBytes / 1e6,
            Device: work.Device);
    }
}
