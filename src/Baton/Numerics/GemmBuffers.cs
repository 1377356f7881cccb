using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Baton.Numerics;

/// <summary>
/// Per-thread packing buffers for GEMM, 64-byte aligned and pinned, allocated once per thread and
/// grown only when a larger problem asks for more; no allocation per call in steady state.
/// </summary>
internal sealed unsafe class GemmBuffers
{
    [ThreadStatic] private static GemmBuffers? current;

    private float[] blockStorage = [];
    private float* blockBase;
    private float[] rowsStorage = [];
    private float* rowsBase;

    /// <summary>The calling thread's buffers.</summary>
    public static GemmBuffers ForThisThread => current ??= new GemmBuffers();

    /// <summary>A block of at least <paramref name="floats"/> floats for the packed A/B blocks and tile scratch.</summary>
    public float* Block(int floats)
    {
        if (blockStorage.Length < floats + 16)
            blockBase = Allocate(floats, out blockStorage);
        return blockBase;
    }

    /// <summary>A buffer of at least <paramref name="floats"/> floats for the packed rows of A in the packed-B product.</summary>
    public float* Rows(long floats)
    {
        if (blockStorage.Length == 0)
            Block(0);
        if (rowsStorage.Length < floats + 16)
            rowsBase = Allocate(checked((int)floats), out rowsStorage);
        return rowsBase;
    }

    /// <summary>Allocates a pinned array and returns its first 64-byte aligned element.</summary>
    public static float* Allocate(int floats, out float[] storage)
    {
        storage = GC.AllocateUninitializedArray<float>(floats + 16, pinned: true);
        nint start = (nint)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(storage));
        return (float*)((start + 63) & ~(nint)63);
    }
}
