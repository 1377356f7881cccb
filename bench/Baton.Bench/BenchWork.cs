namespace Baton.Bench;

/// <summary>
/// What a prepared row times: <see cref="Run"/> is one repetition (one training step, one product, ...).
/// The counts turn the median time into rates; leave a count null where it does not apply.
/// </summary>
/// <param name="Run">One timed repetition.</param>
/// <param name="Flops">Floating-point operations per repetition (gives <c>gflops</c>).</param>
/// <param name="Tokens">Tokens (time steps × batch) per repetition (gives <c>tok_s</c>).</param>
/// <param name="Steps">Recurrent time steps per repetition (gives <c>us_per_step</c>).</param>
/// <param name="Bytes">Bytes read per repetition (gives <c>gb_s</c>).</param>
public sealed record BenchWork(Action Run, double? Flops = null, double? Tokens = null, double? Steps = null, double? Bytes = null);
