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

    /// <summary>
    /// Measures the rows of <paramref name="registry"/> called <paramref name="names"/> in turn: every row is prepared and
    /// warmed up first, then each round takes one sample of every row, so that all medians come from the same stretches
    /// of time and the rows' ratios hold while a shared machine's speed drifts. Results come in the order of the names.
    /// </summary>
    public static IReadOnlyList<BenchResult> MeasureInterleaved(BenchRegistry registry, IReadOnlyList<string> names, int repeat)
    {
        ArgumentNullException.ThrowIfNull(registry);
        ArgumentNullException.ThrowIfNull(names);
        return MeasureInterleaved(names, [.. names.Select(registry.Find)], repeat);
    }

    /// <summary>
    /// <see cref="MeasureInterleaved(BenchRegistry, IReadOnlyList{string}, int)"/> over <paramref name="rows"/> (a null row
    /// gives a "not implemented yet" result under its name).
    /// </summary>
    public static IReadOnlyList<BenchResult> MeasureInterleaved(IReadOnlyList<string> names, IReadOnlyList<IBenchRow?> rows, int repeat)
    {
        ArgumentNullException.ThrowIfNull(names);
        ArgumentNullException.ThrowIfNull(rows);
        ArgumentOutOfRangeException.ThrowIfLessThan(repeat, 1);
        if (rows.Count != names.Count)
            throw new ArgumentException($"{rows.Count} rows for {names.Count} names.", nameof(rows));
        var results = new BenchResult?[names.Count];
        var works = new BenchWork?[names.Count];
        var batches = new int[names.Count];
        var samples = new double[names.Count][];
        try
        {
            for (int i = 0; i < names.Count; i++)
            {
                var row = rows[i];
                if (row is null)
                {
                    results[i] = new BenchResult(names[i], null, null, null, null, Threads.Count, Error: "not implemented yet");
                    continue;
                }
                try
                {
                    works[i] = row.Prepare();
                    batches[i] = WarmUp(works[i]!);
                    samples[i] = new double[repeat];
                }
                catch (Exception e) when (e is not OutOfMemoryException)
                {
                    works[i]?.Resources?.Dispose();
                    works[i] = null;
                    results[i] = new BenchResult(names[i], null, null, null, null, Threads.Count, Error: $"{e.GetType().Name}: {e.Message}");
                }
            }
            for (int s = 0; s < repeat; s++)
                for (int i = 0; i < names.Count; i++)
                    if (works[i] is { } work && results[i] is null)
                    {
                        try
                        {
                            samples[i][s] = Sample(work, batches[i]);
                        }
                        catch (Exception e) when (e is not OutOfMemoryException)
                        {
                            results[i] = new BenchResult(names[i], null, null, null, null, Threads.Count, Error: $"{e.GetType().Name}: {e.Message}");
                        }
                    }
            for (int i = 0; i < names.Count; i++)
                results[i] ??= Result(names[i], works[i]!, samples[i]);
            return results!;
        }
        finally
        {
            foreach (var work in works)
                work?.Resources?.Dispose();
        }
    }

    private static BenchResult Time(string name, BenchWork work, int repeat)
    {
        int batch = WarmUp(work);
        var samples = new double[repeat];
        for (int s = 0; s < repeat; s++)
            samples[s] = Sample(work, batch);
        return Result(name, work, samples);
    }

    /// <summary>Runs the warm-up; returns how many runs make one sample of at least <see cref="MinSampleMs"/>.</summary>
    private static int WarmUp(BenchWork work)
    {
        var clock = Stopwatch.StartNew();
        int warmups = 0;
        while (warmups < 2 || clock.Elapsed.TotalMilliseconds < WarmupMs)
        {
            work.Run();
            warmups++;
        }
        double perRunMs = clock.Elapsed.TotalMilliseconds / warmups;
        return (int)Math.Clamp(Math.Ceiling(MinSampleMs / Math.Max(perRunMs, 1e-6)), 1, 1_000_000);
    }

    /// <summary>Milliseconds per run over one sample of <paramref name="batch"/> runs.</summary>
    private static double Sample(BenchWork work, int batch)
    {
        long start = Stopwatch.GetTimestamp();
        for (int i = 0; i < batch; i++)
            work.Run();
        return Stopwatch.GetElapsedTime(start).TotalMilliseconds / batch;
    }

    private static BenchResult Result(string name, BenchWork work, double[] samples)
    {
        int repeat = samples.Length;
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
