using ILGPU;
using ILGPU.Runtime;

namespace Baton.Gpu;

/// <summary>
/// h_t = a_t ⊙ h_{t−1} + b_t over N channels and T steps on the accelerator (time-major <c>[T, N]</c>), as
/// <see cref="Baton.Numerics.LinearScan.Forward"/>, split in time: each of C chunks first reduces its steps to
/// one affine map h ↦ A h + S (A = Π a_t), a short pass carries the state across the C maps, and each chunk then
/// replays its steps from its incoming state. C = min(⌈Threads / N⌉, ⌈√T⌉): enough threads to fill the device
/// where N allows, and never a carry pass (C serial steps) much longer than a chunk (T / C steps).
/// </summary>
public sealed class GpuLinearScan : IDisposable
{
    /// <summary>Threads per pass the chunk count aims at at most (enough to fill a large GPU several times over).</summary>
    internal const int Threads = 1 << 16;

    private readonly Accelerator acc;
    private MemoryBuffer1D<float, Stride1D.Dense>? chunkA, chunkS, start;
    private MemoryBuffer1D<float, Stride1D.Dense>? hostA, hostB, hostH0, hostH;   // for the span overload only
    private readonly Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int, int> summary;
    private readonly Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int> carry;
    private readonly Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int, int> apply;
    private readonly Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int, int> reverseSummary;
    private readonly Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int, int> reverseApply;
    private MemoryBuffer1D<float, Stride1D.Dense>? zero;   // [N] the reverse scan's zero incoming state

    /// <summary>Compiles the three passes for <paramref name="device"/>.</summary>
    public GpuLinearScan(GpuDevice device) : this(device?.Accelerator!)
    {
    }

    /// <summary>Compiles the passes for <paramref name="accelerator"/>.</summary>
    internal GpuLinearScan(Accelerator accelerator)
    {
        ArgumentNullException.ThrowIfNull(accelerator);
        acc = accelerator;
        summary = acc.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int, int>(GpuKernels.ScanSummary);
        carry = acc.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int>(GpuKernels.ScanCarry);
        apply = acc.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int, int>(GpuKernels.ScanApply);
        reverseSummary = acc.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int, int>(GpuKernels.ReverseScanSummary);
        reverseApply = acc.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int, int>(GpuKernels.ReverseScanApply);
    }

    /// <summary>The chunk length used for T steps of N channels.</summary>
    internal static int ChunkLength(int T, int N)
    {
        int chunks = Math.Clamp(Math.Min((Threads + N - 1) / N, (int)Math.Ceiling(Math.Sqrt(T))), 1, Math.Max(1, T));
        return (T + chunks - 1) / chunks;
    }

    /// <summary>The chunking of T steps of N channels, with the per-chunk buffers grown to its chunks × N entries.</summary>
    private long PrepareChunks(int T, int N, out int length, out int chunks)
    {
        length = ChunkLength(T, N);
        chunks = (T + length - 1) / length;
        long work = (long)chunks * N;
        Grow(ref chunkA, work);
        Grow(ref chunkS, work);
        Grow(ref start, work);
        return work;
    }

    /// <summary>Device form: a, b, h: at least T·N; h0: N. h may alias b. Queues the passes without waiting.</summary>
    internal void Forward(ArrayView<float> a, ArrayView<float> b, ArrayView<float> h0, ArrayView<float> h, int T, int N)
    {
        if (T == 0 || N == 0)
            return;
        long work = PrepareChunks(T, N, out int length, out int chunks);
        summary((int)work, a, b, chunkA!.View, chunkS!.View, T, N, length);
        carry(N, h0, chunkA!.View, chunkS!.View, start!.View, chunks, N);
        apply((int)work, a, b, start!.View, h, T, N, length);
    }

    /// <summary>
    /// The scan's backward (device form): g_t = a_{t+1} ⊙ g_{t+1} + d_t from g_{T−1} = d_{T−1}, the gradient of the loss with respect
    /// to every h_t when d_t is its direct gradient. a, d, g: at least T·N; g may alias d. Chunked in reverse time as
    /// <see cref="Forward(ArrayView{float}, ArrayView{float}, ArrayView{float}, ArrayView{float}, int, int)"/>. Queues the passes.
    /// </summary>
    internal void Backward(ArrayView<float> a, ArrayView<float> d, ArrayView<float> g, int T, int N)
    {
        if (T == 0 || N == 0)
            return;
        long work = PrepareChunks(T, N, out int length, out int chunks);
        if (zero is null || zero.Length < N)
        {
            zero?.Dispose();
            zero = acc.Allocate1D<float>(N);
            zero.View.MemSetToZero();
        }
        reverseSummary((int)work, a, d, chunkA!.View, chunkS!.View, T, N, length);
        carry(N, zero.View, chunkA!.View, chunkS!.View, start!.View, chunks, N);
        reverseApply((int)work, a, d, start!.View, g, T, N, length);
    }

    /// <summary>
    /// Host form: copies a, b: <c>[T, N]</c> and h0: <c>[N]</c> or empty (zero) to the device, scans, and copies h back.
    /// </summary>
    public void Forward(ReadOnlySpan<float> a, ReadOnlySpan<float> b, ReadOnlySpan<float> h0, Span<float> h, int T, int N)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(T);
        ArgumentOutOfRangeException.ThrowIfNegative(N);
        long size = (long)T * N;
        if (a.Length != size || b.Length != size || h.Length != size)
            throw new ArgumentException($"a, b and h must have T·N = {size} elements.");
        if (!h0.IsEmpty && h0.Length != N)
            throw new ArgumentException($"h0 must be empty or have N = {N} elements.", nameof(h0));
        if (size == 0)
            return;
        Grow(ref hostA, size);
        Grow(ref hostB, size);
        Grow(ref hostH, size);
        Grow(ref hostH0, N);
        hostA!.View.SubView(0, size).CopyFromCPU(ref System.Runtime.InteropServices.MemoryMarshal.GetReference(a), size);
        hostB!.View.SubView(0, size).CopyFromCPU(ref System.Runtime.InteropServices.MemoryMarshal.GetReference(b), size);
        if (h0.IsEmpty)
            hostH0!.View.SubView(0, N).MemSetToZero();
        else
            hostH0!.View.SubView(0, N).CopyFromCPU(ref System.Runtime.InteropServices.MemoryMarshal.GetReference(h0), N);
        Forward(hostA.View, hostB.View, hostH0!.View, hostH!.View, T, N);
        hostH.View.SubView(0, size).CopyToCPU(ref System.Runtime.InteropServices.MemoryMarshal.GetReference(h), size);
    }

    private void Grow(ref MemoryBuffer1D<float, Stride1D.Dense>? buffer, long length)
    {
        if (buffer is not null && buffer.Length >= length)
            return;
        buffer?.Dispose();
        buffer = acc.Allocate1D<float>(Math.Max(1, length));
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        foreach (var buffer in new[] { chunkA, chunkS, start, hostA, hostB, hostH0, hostH, zero })
            buffer?.Dispose();
    }
}
