using System.Reflection;

namespace Baton.Lab.Bench;

/// <summary>
/// The benchmark rows of some assemblies, found by reflection: every concrete class implementing
/// <see cref="IBenchRow"/> or <see cref="IBenchRowFamily"/> with a parameterless constructor.
/// Names of the standard set that no class provides yet are listed and report an error.
/// <see cref="Lab"/> holds Baton.Lab's rows (what <c>baton bench</c> runs); bench/Baton.Bench adds its ONNX Runtime rows.
/// </summary>
public sealed class BenchRegistry
{
    /// <summary>The standard benchmark set, in its order.</summary>
    public static IReadOnlyList<string> StandardNames { get; } =
    [
        "lstm-small", "gru-small", "rnn-small", "lstm-2x512", "lstm-1024", "lstm-b1", "lstm-long",
        "stream-lstm-128", "stream-lstm-512x2", "stream-gru-512x2", "mingru-512", "gru-512",
        "sgemm-512", "sgemm-1024", "sgemm-2048",
    ];

    private static readonly Lazy<BenchRegistry> lab = new(() => new BenchRegistry(typeof(BenchRegistry).Assembly));

    private readonly Lazy<IReadOnlyList<IBenchRow>> rows;

    /// <summary>The rows found in <paramref name="assemblies"/> (each searched once, in the order given).</summary>
    public BenchRegistry(params Assembly[] assemblies)
    {
        ArgumentNullException.ThrowIfNull(assemblies);
        Assembly[] searched = [.. assemblies.Distinct()];
        rows = new(() => Discover(searched));
    }

    /// <summary>The rows of Baton.Lab: every row but the ONNX Runtime ones.</summary>
    public static BenchRegistry Lab => lab.Value;

    /// <summary>Every implemented row, standard ones first in <see cref="StandardNames"/> order, then the rest as found.</summary>
    public IReadOnlyList<IBenchRow> Rows => rows.Value;

    /// <summary>The row called <paramref name="name"/>, or null.</summary>
    public IBenchRow? Find(string name) => Rows.FirstOrDefault(r => r.Name == name);

    /// <summary>
    /// Expands command-line names: an exact row name, a standard name (implemented or not), or a family
    /// prefix such as <c>recurrent-step</c> (every row named prefix-...). Unknown names come back in <paramref name="unknown"/>.
    /// </summary>
    public IReadOnlyList<string> Expand(IEnumerable<string> names, out IReadOnlyList<string> unknown)
    {
        var result = new List<string>();
        var missing = new List<string>();
        foreach (string name in names)
        {
            if (name == "all")
                result.AddRange(StandardNames.Union(Rows.Select(r => r.Name)));
            else if (Find(name) is not null || StandardNames.Contains(name))
                result.Add(name);
            else if (Rows.Where(r => r.Name.StartsWith(name + "-", StringComparison.Ordinal)).Select(r => r.Name).ToList() is { Count: > 0 } family)
                result.AddRange(family);
            else
                missing.Add(name);
        }
        unknown = missing;
        return result;
    }

    private static IReadOnlyList<IBenchRow> Discover(Assembly[] assemblies)
    {
        var found = new List<IBenchRow>();
        foreach (var type in assemblies.SelectMany(a => a.GetTypes()))
        {
            if (type.IsAbstract || type.IsInterface || type.GetConstructor(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance, Type.EmptyTypes) is null)
                continue;
            if (typeof(IBenchRow).IsAssignableFrom(type))
                found.Add((IBenchRow)Activator.CreateInstance(type, nonPublic: true)!);
            else if (typeof(IBenchRowFamily).IsAssignableFrom(type))
                found.AddRange(((IBenchRowFamily)Activator.CreateInstance(type, nonPublic: true)!).Rows);
        }
        return [.. found
            .OrderBy(r => StandardNames.Contains(r.Name) ? StandardNames.ToList().IndexOf(r.Name) : int.MaxValue)
];
    }
}
