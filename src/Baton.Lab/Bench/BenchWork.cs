namespace Baton.Lab.Bench;

/// <summary>
/// What a prepared row times: <see cref="Run"/> is one repetition (one training step, one product, ...).
/// The counts turn the median time into rates; leave a count null where it does not apply.
/// </summary>
/// <param name="Run">One timed repetition.</param>
/// <param name="Flops">Floating-point operations per repetition (gives <c>gflops</c>).</param>
/// <param name="Tokens">Tokens (time steps × batch) per repetition (gives <c>tok_s</c>).</param>
/// <param name="Steps">Recurrent time steps per repetition (gives <c>us_per_step</c>).</param>
/// <param name="Bytes">Bytes read per repetition (gives <c>gb_s</c>).</param>
/// <param name="HeldBytes">Managed bytes the timed work holds once warm (gives <c>peak_mb</c>); see <see cref="BenchMemory"/>.</param>
/// <param name="MinimumBytes">The fewest bytes the same work could hold (gives <c>min_mb</c>).</param>
/// <param name="Resources">Native resources of the work (an ONNX Runtime session, ...), disposed once the row is measured.</param>
/// <param name="Device">The accelerator the work ran on (gives <c>device</c>), null for the CPU engine.</param>
public sealed record BenchWork(Action Run, double? Flops = null, double? Tokens = null, double? Steps = null, double? Bytes = null,
    long? HeldBytes = null, long? MinimumBytes = null, IDisposable? Resources = null, string? Device = null);
