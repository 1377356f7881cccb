using Baton.Models;
using Baton.Training;

namespace Baton;

/// <summary>
/// Where <see cref="RecurrentModel.Fit"/> computes its training steps (<see cref="FitOptions.Device"/>; null = the CPU engine). The
/// devices come from the Baton.Gpu package: <c>GpuDevice.Open(GpuDeviceKind.Cuda)</c> for the first NVIDIA GPU,
/// <c>GpuDevice.Open(GpuDeviceKind.Cpu)</c> for the same kernels on ILGPU's CPU emulation (slow; for tests). On a device each
/// step's forward, loss, backward, clipping and optimizer update run there on the device's copy of the weights, and give the
/// CPU engine's results within 10⁻⁴ relative; validation, checkpoints and the returned model are on the host as without one.
/// </summary>
public abstract class TrainingDevice
{
    /// <summary>Only Baton's own assemblies make devices.</summary>
    internal TrainingDevice()
    {
    }

    /// <summary>Null when this device trains <paramref name="config"/> with <paramref name="options"/>; else what it lacks, in words.</summary>
    internal abstract string? Unsupported(ModelConfig config, TrainerOptions options);

    /// <summary>The engine that computes the steps of <paramref name="model"/> on this device, for batches up to <paramref name="maxT"/> × <paramref name="maxB"/>.</summary>
    internal abstract ITrainingEngine CreateEngine(SequenceModel model, TrainerOptions options, int maxT, int maxB);
}
