using Baton.Layers;

namespace Baton.Models;

/// <summary>
/// Carried state for step-by-step inference (sampling, streaming scoring) of a unidirectional
/// <see cref="SequenceModel"/> with a batch of <see cref="Batch"/> independent streams. No allocation per step.
/// </summary>
internal sealed class SequenceStream
{
    internal SequenceStream(SequenceModel model, int batch)
    {
        Batch = batch;
        State = model.Rnn.CreateStreamState(batch);
        X = new float[batch * model.InputWidth];
        Y = new float[batch * model.Rnn.OutputSize];
        Output = new float[batch * model.Config.OutputSize];
    }

    /// <summary>Number of streams.</summary>
    public int Batch { get; }

    /// <summary>The recurrent state (h, and c for LSTM).</summary>
    public StreamState State { get; }

    /// <summary>Recurrent input of the current step [B, I].</summary>
    internal float[] X { get; }

    /// <summary>Recurrent output of the current step [B, O].</summary>
    internal float[] Y { get; }

    /// <summary>Head output of the last step [B, OutputSize] (logits for lm).</summary>
    public float[] Output { get; }

    /// <summary>Returns every stream to the zero state.</summary>
    public void Reset() => State.Reset();
}
