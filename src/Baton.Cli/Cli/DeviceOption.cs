using System.CommandLine;
using Baton.Distributed;
using Baton.Gpu;
using Baton.Models;
using Baton.Training;

namespace Baton.Cli.Cli;

/// <summary>The <c>--device</c> option of every command that can compute on a GPU, and the one place that opens the device.</summary>
internal static class DeviceOption
{
    /// <summary>--device cpu|cuda|emulate, default cpu, with <paramref name="description"/> before the list of choices.</summary>
    public static Option<string> Create(string description = "Where to compute: cpu (the CPU engine), cuda (an NVIDIA GPU through ILGPU) or emulate (the GPU code on ILGPU's CPU emulation, slow)") =>
        CliOptions.Choice("--device", description, "cpu", [.. ComputeDevices.Names]);

    /// <summary>The device named by <paramref name="option"/> (the parser has accepted only the known names).</summary>
    public static ComputeDevice Read(ParseResult parse, Option<string> option) =>
        ComputeDevices.TryParse(parse.GetValue(option), out var device) ? device : ComputeDevice.Cpu;

    /// <summary>
    /// Opens the accelerator for <paramref name="device"/>: null for the CPU engine; for cuda with no GPU or driver a
    /// <see cref="CliError"/> (exit 2) saying so.
    /// </summary>
    public static GpuDevice? Open(ComputeDevice device)
    {
        if (device == ComputeDevice.Cpu)
            return null;
        try
        {
            return GpuDevice.Open(device);
        }
        catch (InvalidOperationException e)
        {
            throw new CliError($"--device {ComputeDevices.Name(device)}: {e.Message}");
        }
    }

    /// <summary>
    /// Refuses with a <see cref="CliError"/> (exit 2, one line naming it) a run on <paramref name="device"/> that the device trainer
    /// cannot do: what <see cref="GpuTrainer.Unsupported"/> names for <paramref name="config"/> trained with <paramref name="options"/>,
    /// or data-parallel (MPI) training. Nothing for the CPU engine.
    /// </summary>
    public static void CheckTrainable(ComputeDevice device, ModelConfig config, TrainerOptions options)
    {
        if (device == ComputeDevice.Cpu)
            return;
        if (GpuTrainer.Unsupported(config, options) is { } unsupported)
            throw new CliError($"--device {ComputeDevices.Name(device)}: the device trainer does not support {unsupported} yet; use --device cpu.");
        if (DataParallel.Current is not null)
            throw new CliError($"--device {ComputeDevices.Name(device)} cannot be combined with data-parallel (MPI) training yet; use --device cpu.");
    }

    /// <summary>The engine factory of a run on <paramref name="accelerator"/>: the device trainer; null for the CPU engine.</summary>
    public static TrainingEngineFactory? Engine(GpuDevice? accelerator) => accelerator is null
        ? null
        : (model, options, maxT, maxB) => new GpuTrainer(accelerator, model, options, maxT, maxB);
}
