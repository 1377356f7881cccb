using System.Reflection;
using System.Xml.Linq;
using Baton.Cli;
using Baton.Lab;
using Baton.Numerics;

namespace Baton.Tests.Architecture;

/// <summary>The dependency rules docs/ARCHITECTURE.md states, checked on the compiled assemblies.</summary>
public class ArchitectureTests
{
    /// <summary>
    /// The namespaces of the core assembly from the bottom up, as docs/ARCHITECTURE.md draws them: a namespace may use
    /// only namespaces of a lower rank. <c>Baton</c> is the public surface over all of them.
    /// </summary>
    private static readonly Dictionary<string, int> CoreRanks = new()
    {
        ["Baton.Numerics"] = 0,
        ["Baton.Data"] = 1,
        ["Baton.Layers"] = 1,
        ["Baton.Parallel"] = 2,
        ["Baton.Distributed"] = 2,
        ["Baton.Models"] = 2,
        ["Baton.IO"] = 3,
        ["Baton.Training"] = 4,
        ["Baton"] = 5,
    };

    private static readonly Assembly Core = typeof(Gemm).Assembly;

    [Fact]
    public void The_core_assembly_has_no_cycle_between_namespaces()
    {
        var edges = NamespaceGraph.Edges(Core);
        var cycle = NamespaceGraph.FindCycle(edges);
        Assert.True(cycle is null, cycle is null ? "" : Describe(cycle, edges));
    }

    [Fact]
    public void Every_core_namespace_uses_only_namespaces_below_it_in_the_documented_order()
    {
        var wrong = new List<string>();
        foreach (var (from, targets) in NamespaceGraph.Edges(Core))
        {
            if (!CoreRanks.TryGetValue(from, out int rank))
            {
                wrong.Add($"{from} is not in docs/ARCHITECTURE.md's table (nor in this test's)");
                continue;
            }
            foreach (var (to, example) in targets)
            {
                if (!CoreRanks.TryGetValue(to, out int toRank) || toRank >= rank)
                    wrong.Add($"{from} → {to}: {example}");
            }
        }
        Assert.True(wrong.Count == 0, string.Join(Environment.NewLine, wrong));
    }

    [Fact]
    public void The_lab_assembly_has_no_cycle_between_namespaces()
    {
        var edges = NamespaceGraph.Edges(typeof(MemoryLab).Assembly);
        var cycle = NamespaceGraph.FindCycle(edges);
        Assert.True(cycle is null, cycle is null ? "" : Describe(cycle, edges));
    }

    [Fact]
    public void The_graph_sees_the_dependencies_that_the_code_has()
    {
        // Edges from each kind of reference the reader follows: a base type's or field's type (Layers → Numerics through
        // Rng and Gemm), method calls in bodies (Training → IO: the checkpoint writer calls SafeTensorsWriter).
        var edges = NamespaceGraph.Edges(Core);
        Assert.Contains("Baton.Numerics", edges["Baton.Layers"].Keys);
        Assert.Contains("Baton.IO", edges["Baton.Training"].Keys);
        Assert.Contains("Baton.Layers", edges["Baton.Parallel"].Keys);
        Assert.DoesNotContain("Baton.Training", edges["Baton.IO"].Keys);
    }

    [Fact]
    public void A_cycle_is_found_and_reported_from_its_first_namespace_back_to_it()
    {
        var edges = new SortedDictionary<string, SortedDictionary<string, string>>(StringComparer.Ordinal)
        {
            ["A"] = new(StringComparer.Ordinal) { ["B"] = "a uses b" },
            ["B"] = new(StringComparer.Ordinal) { ["C"] = "b uses c" },
            ["C"] = new(StringComparer.Ordinal) { ["B"] = "c uses b" },
        };
        Assert.Equal(["B", "C", "B"], NamespaceGraph.FindCycle(edges));
        edges["C"].Remove("B");
        Assert.Null(NamespaceGraph.FindCycle(edges));
    }

    [Fact]
    public void The_core_assembly_exports_only_the_types_of_the_Baton_namespace()
    {
        // Kernels, pools, barriers, file helpers and layers are internal; the public surface is the Baton namespace alone,
        // and PublicAPI.Shipped.txt / PublicAPI.Unshipped.txt list its members.
        var others = Core.GetExportedTypes().Where(t => t.Namespace != "Baton").Select(t => t.FullName).ToList();
        Assert.True(others.Count == 0, "public outside the Baton namespace: " + string.Join(", ", others));
    }

    [Fact]
    public void The_baton_tool_and_the_lab_carry_neither_the_bench_program_nor_onnx_runtime()
    {
        foreach (var (assembly, project) in new[] { (typeof(BatonCli).Assembly, "src/Baton.Cli/Baton.Cli.csproj"), (typeof(MemoryLab).Assembly, "src/Baton.Lab/Baton.Lab.csproj") })
        {
            var names = assembly.GetReferencedAssemblies().Select(a => a.Name).ToList();
            Assert.DoesNotContain("Baton.Bench", names);
            Assert.DoesNotContain("Microsoft.ML.OnnxRuntime", names);
            var references = XDocument.Load(Path.Combine(RepositoryRoot(), project)).Descendants()
                .Where(e => e.Name.LocalName is "ProjectReference" or "PackageReference")
                .Select(e => (string?)e.Attribute("Include") ?? "")
                .ToList();
            Assert.DoesNotContain(references, r => r.Contains("Baton.Bench", StringComparison.Ordinal) || r.Contains("OnnxRuntime", StringComparison.Ordinal));
        }
    }

    /// <summary>The folder holding Baton.slnx, found from the test assembly's folder upwards.</summary>
    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Baton.slnx")))
                return dir.FullName;
        }
        throw new InvalidOperationException($"No Baton.slnx above {AppContext.BaseDirectory}.");
    }

    private static string Describe(IReadOnlyList<string> cycle, SortedDictionary<string, SortedDictionary<string, string>> edges) =>
        "namespace cycle: " + string.Join(" → ", cycle) + Environment.NewLine +
        string.Join(Environment.NewLine, cycle.Zip(cycle.Skip(1), (a, b) => $"  {a} → {b}: {edges[a][b]}"));
}
