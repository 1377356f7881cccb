using System.CommandLine;
using Baton.Gpu;
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
}
