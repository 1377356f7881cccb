using System.Reflection;
using System.Runtime.CompilerServices;

namespace Baton.Lab.Bench;

/// <summary>
/// The memory a row's work owns, counted rather than sampled: <see cref="Owned"/> walks the objects the work holds
/// (its parameters and gradients, its workspace with every layer's caches) and sums the bytes of the arrays it reaches,
/// each array once. The figure depends only on the row's sizes, never on what else the process holds or frees, so it
/// is the same in every run and beside every other test. Steady-state steps allocate nothing
/// (tests/Baton.Tests/Layers/RecurrentAllocationTests.cs), so this is also the work's peak. Not counted: the caller's
/// inputs and targets (passed as <c>exclude</c>) and the per-thread GEMM packing buffers, which every product in the
/// process shares and whose size is set by the packing panels, not by the row.
/// </summary>
public static class BenchMemory
{
    /// <summary>
    /// Bytes of the arrays reachable from <paramref name="roots"/> through instance fields of Baton's own types and
    /// through arrays: Σ over distinct arrays of length · element size (object headers are not counted). Objects of
    /// other assemblies (delegates, the runtime's types, the worker pool's threads) are not walked into, and the arrays
    /// in <paramref name="exclude"/> are skipped.
    /// </summary>
    public static long Owned(IEnumerable<object> roots, IEnumerable<object>? exclude = null)
    {
        var seen = new HashSet<object>(ReferenceEqualityComparer.Instance);
        foreach (object skip in exclude ?? [])
            seen.Add(skip);
        var pending = new Stack<object>(roots);
        long bytes = 0;
        while (pending.Count > 0)
        {
            object item = pending.Pop();
            if (!seen.Add(item))
                continue;
            if (item is Array array)
            {
                var element = array.GetType().GetElementType()!;
                if (element.IsValueType)
                {
                    bytes += array.LongLength * ElementSize(element);
                }
                else
                {
                    bytes += array.LongLength * IntPtr.Size;
                    foreach (object? child in array)
                        if (child is not null)
                            pending.Push(child);
                }
                continue;
            }
            if (!IsBatonType(item.GetType()))
                continue;
            for (var type = item.GetType(); type is not null; type = type.BaseType)
            {
                foreach (var field in type.GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly))
                {
                    if (field.FieldType.IsPointer || field.FieldType.IsPrimitive || field.FieldType.IsEnum)
                        continue;
                    object? value = field.GetValue(item);
                    if (value is null)
                        continue;
                    if (field.FieldType.IsValueType)
                    {
                        // Memory<T> and ReadOnlyMemory<T> hold their array in a private field.
                        if (value.GetType().GetField("_object", BindingFlags.Instance | BindingFlags.NonPublic)?.GetValue(value) is { } inner)
                            pending.Push(inner);
                        continue;
                    }
                    pending.Push(value);
                }
            }
        }
        return bytes;
    }

    private static bool IsBatonType(Type type) => type.Assembly.GetName().Name?.StartsWith("Baton", StringComparison.Ordinal) == true;

    private static long ElementSize(Type element) =>
        (int)typeof(Unsafe).GetMethod(nameof(Unsafe.SizeOf))!.MakeGenericMethod(element).Invoke(null, null)!;
}
