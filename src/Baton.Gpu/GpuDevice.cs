using Baton.Training;
using ILGPU;
using ILGPU.Algorithms;
using ILGPU.Runtime;
using ILGPU.Runtime.CPU;
using ILGPU.Runtime.Cuda;

namespace Baton.Gpu;

/// <summary>Which accelerator <see cref="GpuDevice.Open(GpuDeviceKind)"/> takes.</summary>
public enum GpuDeviceKind
{
    /// <summary>The first CUDA device; CPU emulation where there is none.</summary>
    Auto,

    /// <summary>The first CUDA device; an error where there is none.</summary>
    Cuda,

    /// <summary>
    /// ILGPU's CPU emulation of a small GPU (warps of 32, groups of at most 256 threads, two multiprocessors): every
    /// kernel runs on managed threads, for tests and machines without a GPU; slow.
    /// </summary>
    Cpu,
}

/// <summary>
/// An ILGPU context and one accelerator: for <see cref="GpuDeer"/> and <see cref="GpuLinearScan"/>, and as the
/// <see cref="FitOptions.Device"/> that <see cref="RecurrentModel.Fit"/> trains on. Dispose it after everything made on it.
/// </summary>
public sealed class GpuDevice : TrainingDevice, IDisposable
{
    // Warps of 32 as on NVIDIA (the shuffle reductions assume it); each emulated group thread is an OS thread, so few.
    private static readonly CPUDevice EmulatedDevice = new(numThreadsPerWarp: 32, numWarpsPerMultiprocessor: 8, numMultiprocessors: 2);

    private readonly Context context;

    private GpuDevice(Context context, Accelerator accelerator)
    {
        this.context = context;
        Accelerator = accelerator;
    }

    internal Accelerator Accelerator { get; }

    /// <summary>True on a CUDA device, false on the CPU emulation.</summary>
    public bool IsCuda => Accelerator.AcceleratorType == AcceleratorType.Cuda;

    /// <summary>The device's name as its driver gives it (e.g. "NVIDIA H200").</summary>
    public string Name => Accelerator.Name;

    /// <summary>Opens an accelerator. Throws <see cref="InvalidOperationException"/> for <see cref="GpuDeviceKind.Cuda"/> when no CUDA device is present.</summary>
    public static GpuDevice Open(GpuDeviceKind kind = GpuDeviceKind.Auto)
    {
        var context = Context.Create(builder => builder.Cuda().CPU(EmulatedDevice).EnableAlgorithms().Optimize(OptimizationLevel.O2));
        try
        {
            var cuda = context.GetCudaDevices();
            if (kind != GpuDeviceKind.Cpu && cuda.Count > 0)
                return new GpuDevice(context, cuda[0].CreateCudaAccelerator(context));
            if (kind == GpuDeviceKind.Cuda)
                throw new InvalidOperationException("No CUDA device was found (ILGPU looks for the NVIDIA driver's libcuda).");
            return new GpuDevice(context, context.GetCPUDevice(0).CreateCPUAccelerator(context, CPUAcceleratorMode.Parallel));
        }
        catch
        {
            context.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Opens the accelerator of a run's <paramref name="device"/>: <see cref="ComputeDevice.Cuda"/> the first CUDA device (an
    /// <see cref="InvalidOperationException"/> where there is none), <see cref="ComputeDevice.Emulate"/> ILGPU's CPU emulation.
    /// <see cref="ComputeDevice.Cpu"/> is the CPU engine, which needs no accelerator.
    /// </summary>
    internal static GpuDevice Open(ComputeDevice device) => device switch
    {
        ComputeDevice.Cuda => Open(GpuDeviceKind.Cuda),
        ComputeDevice.Emulate => Open(GpuDeviceKind.Cpu),
        _ => throw new ArgumentOutOfRangeException(nameof(device), device, "The CPU engine runs without an accelerator."),
    };

    /// <summary>Most threads in one group (1024 on CUDA devices, 256 on the emulation).</summary>
    public int MaxGroupSize => Accelerator.MaxNumThreadsPerGroup;

    /// <inheritdoc/>
    internal override string? Unsupported(Baton.Models.ModelConfig config, TrainerOptions options) => GpuTrainer.Unsupported(config, options);

    /// <inheritdoc/>
    internal override ITrainingEngine CreateEngine(Baton.Models.SequenceModel model, TrainerOptions options, int maxT, int maxB) =>
        new GpuTrainer(this, model, options, maxT, maxB);

    /// <summary>Waits for every kernel and copy queued on the device.</summary>
    public void Synchronize() => Accelerator.Synchronize();

    /// <inheritdoc/>
    public void Dispose()
    {
        Accelerator.Dispose();
        context.Dispose();
    }
}
