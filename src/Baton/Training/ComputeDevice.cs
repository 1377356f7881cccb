namespace Baton.Training;

/// <summary>
/// Where a run computes: <see cref="Cpu"/> the CPU engine (the default); <see cref="Cuda"/> an NVIDIA GPU through ILGPU
/// (Baton.Gpu); <see cref="Emulate"/> the same GPU code on ILGPU's CPU accelerator (slow; for tests and machines without a GPU).
/// </summary>
internal enum ComputeDevice
{
    /// <summary>The CPU engine.</summary>
    Cpu,

    /// <summary>The first NVIDIA GPU, through ILGPU's CUDA backend.</summary>
    Cuda,

    /// <summary>The GPU kernels on ILGPU's CPU accelerator.</summary>
    Emulate,
}

/// <summary>The device names as the command line and the options spell them; every parse of a device reads from here.</summary>
internal static class ComputeDevices
{
    /// <summary>The accepted names: cpu, cuda, emulate.</summary>
    public static IReadOnlyList<string> Names { get; } = ["cpu", "cuda", "emulate"];

    /// <summary>The device called <paramref name="name"/>; false for any other name, including null.</summary>
    public static bool TryParse(string? name, out ComputeDevice device)
    {
        (bool known, device) = name switch
        {
            "cpu" => (true, ComputeDevice.Cpu),
            "cuda" => (true, ComputeDevice.Cuda),
            "emulate" => (true, ComputeDevice.Emulate),
            _ => (false, ComputeDevice.Cpu),
        };
        return known;
    }

    /// <summary>The name of <paramref name="device"/>: the inverse of <see cref="TryParse"/>.</summary>
    public static string Name(ComputeDevice device) => device switch
    {
        ComputeDevice.Cpu => "cpu",
        ComputeDevice.Cuda => "cuda",
        ComputeDevice.Emulate => "emulate",
        _ => throw new ArgumentOutOfRangeException(nameof(device), device, null),
    };
}
