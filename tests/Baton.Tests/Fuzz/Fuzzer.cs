using System.Text;
using Xunit.Abstractions;

namespace Baton.Tests.Fuzz;

/// <summary>
/// Runs a fuzz target a fixed number of times over mutants of its seed corpus (no clock, fixed seeds: every run tries
/// the same inputs). A case passes when the target returns or throws one of its documented exception types, and
/// allocates on its thread at most a bound proportional to the input; anything else is collected with the input.
/// </summary>
internal static class Fuzzer
{
    /// <summary>Where the seed corpora are copied beside the test assembly.</summary>
    public static string CorpusDir(string target) => Path.Combine(AppContext.BaseDirectory, "Fuzz", "corpus", target);

    /// <summary>Every file of <paramref name="target"/>'s seed corpus, in name order.</summary>
    public static byte[][] Seeds(string target) =>
        [.. Directory.GetFiles(CorpusDir(target)).Order(StringComparer.Ordinal).Select(File.ReadAllBytes)];

    /// <summary>
    /// Runs <paramref name="cases"/> cases (the seeds themselves first) and fails listing every case that threw an
    /// undocumented exception or allocated more than <paramref name="fixedBytes"/> + <paramref name="bytesPerInputByte"/>
    /// per input byte.
    /// </summary>
    public static void Run(ITestOutputHelper output, string target, byte[][] seeds, int cases, int seed,
        Func<Mutator, byte[], byte[]> mutate, Action<byte[]> run, Type[] documented, long fixedBytes = 16 << 20, long bytesPerInputByte = 256)
    {
        Assert.NotEmpty(seeds);
        var mutator = new Mutator(seed);
        var failures = new List<string>();
        var refusals = new SortedDictionary<string, int>(StringComparer.Ordinal);
        var messages = new Dictionary<string, int>(StringComparer.Ordinal);
        int accepted = 0;
        for (int i = 0; i < cases; i++)
        {
            byte[] input = i < seeds.Length ? seeds[i] : mutate(mutator, seeds[i % seeds.Length]);
            long before = GC.GetAllocatedBytesForCurrentThread();
            try
            {
                run(input);
                accepted++;
            }
            catch (Exception e) when (documented.Contains(e.GetType()))
            {
                refusals[e.GetType().Name] = refusals.GetValueOrDefault(e.GetType().Name) + 1;
                string kind = new string([.. e.Message.Take(70).Select(c => char.IsAsciiDigit(c) ? '#' : c)]);
                messages[kind] = messages.GetValueOrDefault(kind) + 1;
                if (string.IsNullOrWhiteSpace(e.Message) || e.Message.Contains('\n'))
                    failures.Add($"case {i}: {e.GetType().Name} without a one-line message: '{e.Message}'; input {Describe(input)}");
            }
            catch (Exception e)
            {
                failures.Add($"case {i}: {e.GetType().Name}: {e.Message.ReplaceLineEndings(" ")} at {e.StackTrace?.Split('\n').FirstOrDefault()?.Trim()}; input {Describe(input)}");
            }
            long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            if (allocated > fixedBytes + bytesPerInputByte * input.Length)
                failures.Add($"case {i}: allocated {allocated:N0} bytes for {input.Length} input bytes; input {Describe(input)}");
            if (failures.Count >= 5)
                break;
        }
        output.WriteLine($"fuzz {target}: {cases} cases, {accepted} accepted, refused {string.Join(", ", refusals.Select(r => $"{r.Key} {r.Value}"))}");
        foreach (var (message, count) in messages.OrderByDescending(m => m.Value).ThenBy(m => m.Key, StringComparer.Ordinal).Take(12))
            output.WriteLine($"  {count,5}  {message}");
        Assert.True(failures.Count == 0, $"fuzz {target}:\n{string.Join("\n", failures)}");
        Assert.True(accepted >= seeds.Length, $"fuzz {target}: only {accepted} of {cases} cases were accepted; the seeds themselves should be.");
    }

    /// <summary>The input as base64 (to paste into a regression test), or its length and head when long.</summary>
    private static string Describe(byte[] input) => input.Length <= 4096
        ? $"(base64) {Convert.ToBase64String(input)}"
        : $"{input.Length} bytes starting (base64) {Convert.ToBase64String(input, 0, 256)}";

    /// <summary>Text as the CLI's readers see it: UTF-8 with replacement characters for invalid bytes.</summary>
    public static TextReader Reader(byte[] input) => new StreamReader(new MemoryStream(input), Encoding.UTF8);
}
