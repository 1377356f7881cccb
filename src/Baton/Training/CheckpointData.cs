using Baton.IO;
using Baton.Models;

namespace Baton.Training;

/// <summary>A training checkpoint read back: the model, the optimizer arrays, the carried recurrent state and the <see cref="TrainingState"/>.</summary>
internal sealed class CheckpointData(string path, SequenceModel model, TrainingState state,
    IReadOnlyDictionary<string, float[]> optimizerState, float[] h0, float[] c0)
{
    /// <summary>The file read.</summary>
    public string FilePath { get; } = path;

    /// <summary>The model with the checkpoint's weights.</summary>
    public SequenceModel Model { get; } = model;

    /// <summary>Step, RNG, data position, schedule/early-stopping state, options and history.</summary>
    public TrainingState State { get; } = state;

    /// <summary>Optimizer state arrays by PyTorch name (<c>exp_avg</c>, ...), each over the flat parameter block.</summary>
    public IReadOnlyDictionary<string, float[]> OptimizerState { get; } = optimizerState;

    /// <summary>The hidden state carried into the next batch (truncated BPTT), [L·D, B, S].</summary>
    public float[] H0 { get; } = h0;

    /// <summary>The LSTM cell state carried into the next batch (empty for other cells).</summary>
    public float[] C0 { get; } = c0;

    /// <summary>The weights of the best validation loss kept by a run restoring them (empty otherwise).</summary>
    public float[] BestWeights { get; init; } = [];
}
