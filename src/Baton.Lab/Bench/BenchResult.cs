using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using Baton.Numerics;

namespace Baton.Lab.Bench;

/// <summary>One measured (or failed) row: the fields of the JSON line. Megabytes are 10⁶ bytes.</summary>
public sealed record BenchResult(string Name, double? MedianMs, double? Gflops, double? TokensPerSecond,
    double? MicrosecondsPerStep, int Threads, double? GigabytesPerSecond = null, string? Error = null,
    double? PeakMegabytes = null, double? MinimumMegabytes = null, string? Device = null)
{
    /// <summary>The SIMD path Baton's kernels take in this process (<see cref="SimdPaths.Describe"/>).</summary>
    public static string MachineSimd { get; } = SimdPaths.Describe(SimdPaths.Best);

    /// <summary>The CPU model (Linux: /proc/cpuinfo's "model name"; elsewhere the architecture and core count).</summary>
    public static string MachineCpu { get; } = ReadCpuModel();

    /// <summary>The SIMD path this row ran on.</summary>
    public string Simd { get; init; } = MachineSimd;

    /// <summary>The CPU this row ran on.</summary>
    public string Cpu { get; init; } = MachineCpu;

    /// <summary>The line that heads a run: the CPU model, the SIMD path and the thread count.</summary>
    public static string Header(int threads) =>
        $"Baton.Bench on {MachineCpu}, {Environment.ProcessorCount} logical cores; SIMD path {MachineSimd}; threads {threads}; .NET {Environment.Version}";

    /// <summary>
    /// <c>{"name","median_ms","gflops","tok_s","us_per_step","threads","simd","cpu"}</c> (null where a field does not apply),
    /// plus <c>"device"</c> for rows on an accelerator, <c>"gb_s"</c> for rows that count bytes, <c>"peak_mb"</c> and <c>"min_mb"</c> for rows that measure the memory
    /// their work holds (training rows), and <c>"error"</c> for rows that could not run.
    /// </summary>
    public string ToJson()
    {
        var s = new StringBuilder();
        s.Append("{\"name\":").Append(Quote(Name));
        s.Append(",\"median_ms\":").Append(Number(MedianMs));
        s.Append(",\"gflops\":").Append(Number(Gflops));
        s.Append(",\"tok_s\":").Append(Number(TokensPerSecond));
        s.Append(",\"us_per_step\":").Append(Number(MicrosecondsPerStep));
        s.Append(",\"threads\":").Append(Threads.ToString(CultureInfo.InvariantCulture));
        s.Append(",\"simd\":").Append(Quote(Simd));
        s.Append(",\"cpu\":").Append(Quote(Cpu));
        if (Device is not null)
            s.Append(",\"device\":").Append(Quote(Device));
        if (GigabytesPerSecond is not null)
            s.Append(",\"gb_s\":").Append(Number(GigabytesPerSecond));
        if (PeakMegabytes is not null)
            s.Append(",\"peak_mb\":").Append(Number(PeakMegabytes));
        if (MinimumMegabytes is not null)
            s.Append(",\"min_mb\":").Append(Number(MinimumMegabytes));
        if (Error is not null)
            s.Append(",\"error\":").Append(Quote(Error));
        return s.Append('}').ToString();
    }

    /// <summary>A human-readable line.</summary>
    public string ToText()
    {
        if (Error is not null)
            return $"{Name,-28} error: {Error}";
        var s = new StringBuilder($"{Name,-28} {MedianMs,12:F4} ms");
        if (Gflops is { } g) s.Append($"  {g,8:F1} GFLOP/s");
        if (TokensPerSecond is { } t) s.Append($"  {t,12:F0} tok/s");
        if (MicrosecondsPerStep is { } u) s.Append($"  {u,10:F2} us/step");
        if (GigabytesPerSecond is { } b) s.Append($"  {b,8:F1} GB/s");
        if (PeakMegabytes is { } peak) s.Append($"  peak {peak,8:F2} MB");
        if (MinimumMegabytes is { } min) s.Append($" (min {min:F2} MB)");
        if (Device is not null) s.Append($"  device={Device}");
        return s.Append($"  threads={Threads}  simd={Simd}").ToString();
    }

    private static string ReadCpuModel()
    {
        try
        {
            if (File.Exists("/proc/cpuinfo"))
            {
                // The first processor's model name, family and model: a virtual machine's name alone may hide the generation.
                string? name = null, family = null, model = null;
                foreach (string line in File.ReadLines("/proc/cpuinfo"))
                {
                    int colon = line.IndexOf(':');
                    if (colon < 0)
                        continue;
                    string key = line[..colon].Trim(), value = line[(colon + 1)..].Trim();
                    if (key == "model name") name ??= value;
                    else if (key == "cpu family") family ??= value;
                    else if (key == "model") model ??= value;
                    if (name is not null && family is not null && model is not null)
                        break;
                }
                if (name is not null)
                    return family is not null && model is not null ? $"{name} (family {family}, model {model})" : name;
            }
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
        return $"{RuntimeInformation.ProcessArchitecture} CPU";
    }

    private static string Number(double? x) =>
        x is { } v && double.IsFinite(v) ? v.ToString("G6", CultureInfo.InvariantCulture) : "null";

    private static string Quote(string text)
    {
        var s = new StringBuilder("\"");
        foreach (char ch in text)
        {
            switch (ch)
            {
                case '"': s.Append("\\\""); break;
                case '\\': s.Append("\\\\"); break;
                case '\n': s.Append("\\n"); break;
                default:
                    if (ch < ' ') s.Append($"\\u{(int)ch:x4}");
                    else s.Append(ch);
                    break;
            }
        }
        return s.Append('"').ToString();
    }
}
