using Baton.Layers;

namespace Baton.Models;

/// <summary>
/// Every buffer a <see cref="SequenceModel"/> needs for one forward/backward pass of up to
/// <see cref="MaxT"/> steps and <see cref="MaxB"/> sequences, allocated once and reused (no allocation per call).
/// It also holds the carried recurrent state (<see cref="H0"/>, <see cref="C0"/>) used by truncated BPTT.
/// </summary>
internal sealed class SequenceWorkspace
{
    internal SequenceWorkspace(SequenceModel model, int maxT, int maxB)
    {
        var config = model.Config;
        var rnn = model.Rnn;
        MaxT = maxT;
        MaxB = maxB;
        int inputWidth = model.InputWidth;
        int O = rnn.OutputSize;
        int states = config.Layers * rnn.Directions;
        Recurrent = rnn.CreateWorkspace(maxT, maxB);
        Ids = new int[maxT * maxB];
        Lengths = new int[maxB];
        X = model.Embedding is null ? [] : new float[maxT * maxB * inputWidth];
        DX = model.Embedding is null ? [] : new float[maxT * maxB * inputWidth];
        Y = new float[maxT * maxB * O];
        DY = config.OutputsPerStep ? [] : new float[maxT * maxB * O];
        int headRows = config.OutputsPerStep ? maxT * maxB : maxB;
        HeadIn = new float[headRows * O];
        DHeadIn = new float[headRows * O];
        DropoutMask = config.Dropout > 0 ? new float[headRows * O] : [];
        Output = new float[headRows * config.OutputSize];
        H0 = new float[states * maxB * rnn.StateSize];
        Hn = new float[states * maxB * rnn.StateSize];
        DHn = new float[states * maxB * rnn.StateSize];
        C0 = rnn.HasCellState ? new float[states * maxB * config.Hidden] : [];
        Cn = rnn.HasCellState ? new float[states * maxB * config.Hidden] : [];
    }

    /// <summary>Largest number of time steps.</summary>
    public int MaxT { get; }

    /// <summary>Largest batch.</summary>
    public int MaxB { get; }

    /// <summary>Steps of the last forward pass.</summary>
    public int T { get; internal set; }

    /// <summary>Batch of the last forward pass.</summary>
    public int B { get; internal set; }

    /// <summary>The recurrent stack's own workspace.</summary>
    public RecurrentWorkspace Recurrent { get; }

    /// <summary>Token ids of the last forward pass [T, B] (embedding backward needs them).</summary>
    internal int[] Ids { get; }

    /// <summary>Sequence lengths of the last forward pass [B].</summary>
    internal int[] Lengths { get; }

    /// <summary>True when the last forward had per-sequence lengths.</summary>
    internal bool HasLengths { get; set; }

    /// <summary>True when the last forward applied dropout before the head.</summary>
    internal bool HeadDropout { get; set; }

    /// <summary>True when the head's input is <see cref="Y"/> itself (per-step outputs, no dropout), not <see cref="HeadIn"/>.</summary>
    internal bool HeadReadsY { get; set; }

    /// <summary>Embedding output / recurrent input [T, B, E].</summary>
    internal float[] X { get; }

    /// <summary>Gradient of <see cref="X"/> [T, B, E].</summary>
    internal float[] DX { get; }

    /// <summary>Recurrent output [T, B, O], O = StateSize · Directions.</summary>
    internal float[] Y { get; }

    /// <summary>Gradient of <see cref="Y"/> [T, B, O] for the final-state tasks (per-step outputs use <see cref="DHeadIn"/>).</summary>
    internal float[] DY { get; }

    /// <summary>Head input after dropout: lm [T·B, O]; forecast/classify the final states [B, O].</summary>
    internal float[] HeadIn { get; }

    /// <summary>Gradient of <see cref="HeadIn"/>.</summary>
    internal float[] DHeadIn { get; }

    /// <summary>Inverted-dropout mask (0 or 1/(1-p)) applied to the head input, same shape as <see cref="HeadIn"/>.</summary>
    internal float[] DropoutMask { get; }

    /// <summary>Head output: lm logits [T, B, V]; forecast [B, horizon·targets]; classify logits [B, C].</summary>
    public float[] Output { get; }

    /// <summary>Initial hidden state [L·D, B, S] read when the forward pass is asked to use the carried state.</summary>
    public float[] H0 { get; }

    /// <summary>Initial LSTM cell state [L·D, B, H] (empty for other cells).</summary>
    public float[] C0 { get; }

    /// <summary>Final hidden state of the last forward pass [L·D, B, S] (each sequence's own last step).</summary>
    public float[] Hn { get; }

    /// <summary>Final LSTM cell state [L·D, B, H].</summary>
    public float[] Cn { get; }

    /// <summary>Gradient of the final hidden state (final-state tasks) [L·D, B, S].</summary>
    internal float[] DHn { get; }

    /// <summary>Copies the final state of the last forward pass into the initial state of the next (detached: no gradient flows back).</summary>
    public void CarryState()
    {
        Array.Copy(Hn, H0, Hn.Length);
        Array.Copy(Cn, C0, Cn.Length);
    }

    /// <summary>Zeroes the carried state.</summary>
    public void ResetState()
    {
        Array.Clear(H0);
        Array.Clear(C0);
    }
}
