using Baton.Layers;

namespace Baton.Training;

/// <summary>
/// A training step computed off the host (Baton.Gpu's device trainer): forward, loss and backward through time, clipping and
/// the optimizer update on the engine's own copy of the weights, optimizer state and carried state. <see cref="Trainer"/>
/// pushes the host's copy once (<see cref="Trainer.UseEngine"/>) and pulls it back before anything reads the host model:
/// validation, checkpoints and the end of the run.
/// </summary>
internal interface ITrainingEngine : IDisposable
{
    /// <summary>Copies the weights, every optimizer state array and the carried state h0, c0 (<c>[L, B, H]</c>; c0 empty but for LSTM) to the engine.</summary>
    void Push(Parameters parameters, Optimizer optimizer, ReadOnlySpan<float> h0, ReadOnlySpan<float> c0);

    /// <summary>Copies the engine's weights, optimizer state and carried state back into the host's arrays.</summary>
    void Pull(Parameters parameters, Optimizer optimizer, Span<float> h0, Span<float> c0);

    /// <summary>Zeroes the carried state (a batch that does not continue the previous one's streams).</summary>
    void ResetState();

    /// <summary>
    /// Sends <paramref name="batch"/> (token ids and targets) once, runs forward from the carried state when the batch continues
    /// it (from zero otherwise), the loss and backward into zeroed gradients. Returns the mean loss over the counted targets.
    /// </summary>
    double ForwardBackward(TrainingBatch batch);

    /// <summary>
    /// Clamps every gradient to ±<paramref name="clipValue"/> when it is positive, then returns the global norm
    /// ‖g‖₂ = √Σ g² and, when <paramref name="clipNorm"/> is positive and clipNorm / (‖g‖₂ + 10⁻⁶) &lt; 1, scales g by that
    /// factor (as <see cref="GradientClipping"/>).
    /// </summary>
    double ClipGradients(float clipValue, double clipNorm);

    /// <summary>Counts one step on <paramref name="optimizer"/> and applies its update at its current learning rate.</summary>
    void Step(Optimizer optimizer);

    /// <summary>Makes the final state of the last forward the carried state of the next batch.</summary>
    void CarryState();
}
