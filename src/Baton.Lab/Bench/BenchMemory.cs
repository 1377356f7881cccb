namespace Baton.Lab.Bench;

/// <summary>
/// Managed-heap footprint of a row's work: <see cref="Live"/> before building it and again after its first repetition,
/// each after a full blocking collection, so the difference counts exactly what the work keeps reachable (its model,
/// gradients, workspace and caches, the per-thread GEMM packing buffers it grew) and no garbage. Steady-state steps
/// allocate nothing (tests/Baton.Tests/Layers/RecurrentAllocationTests.cs), so this is also the work's peak.
/// Buffers that an earlier row of the same process already grew large enough are not counted again.
/// </summary>
public static class BenchMemory
{
    /// <summary>Live managed bytes after a full collection.</summary>
    public static long Live()
    {
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        return GC.GetTotalMemory(forceFullCollection: true);
    }
}
