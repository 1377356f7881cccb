using Baton.Layers;
using Baton.Numerics;

namespace Baton.Models;

/// <summary>
/// Input (an <see cref="Layers.Embedding"/> of token ids, or the features directly) → <see cref="RecurrentStack"/>
/// → dropout → <see cref="Linear"/> head. Parameter names are those of the PyTorch module in DESIGN.md
/// (<c>embedding.weight</c>, <c>rnn.weight_ih_l0</c>, ..., <c>head.weight</c>, <c>head.bias</c>).
/// <list type="bullet">
/// <item><c>lm</c>, <c>classify_steps</c>, <c>forecast_steps</c>: out[t, b, :] = head(dropout(y[t, b, :])), shape
/// [T, B, OutputSize], y the last layer's output (both directions concatenated when bidirectional); rows past a sequence's
/// length read y = 0.</item>
/// <item><c>forecast</c>, <c>classify</c>: out[b, :] = head(dropout(concat_d hn[L-1, d, b, :])), shape [B, OutputSize],
/// the last layer's final state of each direction at each sequence's own last step.</item>
/// </list>
/// </summary>
internal sealed class SequenceModel
{
    /// <summary>The seed of <see cref="SequenceModel(ModelConfig)"/>.</summary>
    public const ulong DefaultSeed = 1;

    /// <summary>Builds the model of <paramref name="config"/> initialised as <see cref="ResetParameters"/> does from <c>new Rng(DefaultSeed)</c>.</summary>
    public SequenceModel(ModelConfig config) : this(config, new Rng(DefaultSeed))
    {
    }

    /// <summary>
    /// Builds the model of <paramref name="config"/> and initialises it with <see cref="ResetParameters"/> from
    /// <paramref name="rng"/>: a new model is never all zeros (loading a file then overwrites every parameter).
    /// </summary>
    public SequenceModel(ModelConfig config, Rng rng)
    {
        ArgumentNullException.ThrowIfNull(rng);
        ArgumentNullException.ThrowIfNull(config);
        config.Validate();
        Config = config;
        Parameters = new Parameters();
        if (config.UsesEmbedding)
            Embedding = new Embedding(config.VocabularySize, config.Embedding, Parameters, "embedding.");
        Rnn = new RecurrentStack(config.ToRecurrentOptions(), Parameters, "rnn.");
        Head = new Linear(Rnn.OutputSize, config.OutputSize, Parameters, "head.");
        Parameters.Freeze();
        ResetParameters(rng);
    }

    /// <summary>The configuration (stored in model files).</summary>
    public ModelConfig Config { get; }

    /// <summary>All parameters and gradients, flat.</summary>
    public Parameters Parameters { get; }

    /// <summary>The token embedding (null for feature input).</summary>
    public Embedding? Embedding { get; }

    /// <summary>The recurrent stack.</summary>
    public RecurrentStack Rnn { get; }

    /// <summary>The output layer.</summary>
    public Linear Head { get; }

    /// <summary>Width of the recurrent input: the embedding width or the number of features.</summary>
    public int InputWidth => Config.UsesEmbedding ? Config.Embedding : Config.InputSize;

    /// <summary>True for the per-step tasks (one output row per step); false for final-state tasks (one row per sequence).</summary>
    public bool OutputsPerStep => Config.OutputsPerStep;

    /// <summary>
    /// PyTorch's default initialisation, in module order: embedding N(0, 1); every recurrent tensor
    /// U(-1/√H, 1/√H); head weight and bias U(-1/√fan_in, 1/√fan_in).
    /// </summary>
    public void ResetParameters(Rng rng)
    {
        ArgumentNullException.ThrowIfNull(rng);
        Embedding?.ResetParameters(rng);
        Rnn.ResetParameters(rng);
        Head.ResetParameters(rng);
    }

    /// <summary>Buffers for passes of up to <paramref name="maxT"/> steps and <paramref name="maxB"/> sequences.</summary>
    public SequenceWorkspace CreateWorkspace(int maxT, int maxB)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxT, 1, nameof(maxT));
        ArgumentOutOfRangeException.ThrowIfLessThan(maxB, 1, nameof(maxB));
        return new SequenceWorkspace(this, maxT, maxB);
    }

    /// <summary>
    /// Forward pass over token ids <paramref name="ids"/> [T, B] (time-major). <paramref name="lengths"/>: empty = all T, else [B].
    /// With <paramref name="useState"/> the recurrence starts from <see cref="SequenceWorkspace.H0"/>/<see cref="SequenceWorkspace.C0"/>, else from zero.
    /// Returns <see cref="SequenceWorkspace.Output"/> trimmed to this pass.
    /// </summary>
    public Span<float> ForwardTokens(SequenceWorkspace ws, ReadOnlySpan<int> ids, int T, int B, ReadOnlySpan<int> lengths = default,
        bool useState = false, bool training = false, Rng? rng = null)
    {
        if (Embedding is null)
            throw new InvalidOperationException("This model reads features, not token ids: use ForwardFeatures.");
        CheckShape(ws, T, B, lengths);
        if (ids.Length != T * B)
            throw new ArgumentException($"ids holds {ids.Length} values, T·B = {T * B} expected.", nameof(ids));
        int V = Config.VocabularySize;
        for (int i = 0; i < ids.Length; i++)
        {
            if ((uint)ids[i] >= (uint)V)
                throw new ArgumentOutOfRangeException(nameof(ids), $"token id {ids[i]} at position {i} is outside the vocabulary [0, {V}).");
        }
        ids.CopyTo(ws.Ids);
        var x = ws.X.AsMemory(0, T * B * InputWidth);
        Embedding.Forward(ids, x.Span);
        return ForwardCore(ws, x.Span, x, T, B, lengths, useState, training, rng);
    }

    /// <summary>
    /// Forward pass over features <paramref name="x"/> [T, B, I] (time-major); otherwise as <see cref="ForwardTokens"/>.
    /// </summary>
    public Span<float> ForwardFeatures(SequenceWorkspace ws, ReadOnlySpan<float> x, int T, int B, ReadOnlySpan<int> lengths = default,
        bool useState = false, bool training = false, Rng? rng = null)
    {
        if (Embedding is not null)
            throw new InvalidOperationException("This model reads token ids, not features: use ForwardTokens.");
        CheckShape(ws, T, B, lengths);
        if (x.Length != T * B * InputWidth)
            throw new ArgumentException($"x holds {x.Length} values, T·B·I = {T * B * InputWidth} expected.", nameof(x));
        return ForwardCore(ws, x, default, T, B, lengths, useState, training, rng);
    }

    private void CheckShape(SequenceWorkspace ws, int T, int B, ReadOnlySpan<int> lengths)
    {
        ArgumentNullException.ThrowIfNull(ws);
        if (T < 1 || T > ws.MaxT)
            throw new ArgumentOutOfRangeException(nameof(T), $"T = {T} outside [1, {ws.MaxT}] of the workspace.");
        if (B < 1 || B > ws.MaxB)
            throw new ArgumentOutOfRangeException(nameof(B), $"B = {B} outside [1, {ws.MaxB}] of the workspace.");
        if (!lengths.IsEmpty && lengths.Length != B)
            throw new ArgumentException($"lengths holds {lengths.Length} values, B = {B} expected.", nameof(lengths));
        foreach (int length in lengths)
        {
            if (length < 1 || length > T)
                throw new ArgumentOutOfRangeException(nameof(lengths), $"length {length} outside [1, {T}].");
        }
    }

    /// <summary>The shared forward; <paramref name="kept"/>: x again when it lives in the workspace until Backward (the
    /// embedding's output), so the recurrent stack reads it in place instead of copying it (else empty).</summary>
    private Span<float> ForwardCore(SequenceWorkspace ws, ReadOnlySpan<float> x, ReadOnlyMemory<float> kept, int T, int B,
        ReadOnlySpan<int> lengths, bool useState, bool training, Rng? rng)
    {
        ws.T = T;
        ws.B = B;
        ws.HasLengths = !lengths.IsEmpty;
        lengths.CopyTo(ws.Lengths);
        int O = Rnn.OutputSize;
        int S = Rnn.StateSize;
        int states = Config.Layers * Rnn.Directions;
        var y = ws.Y.AsSpan(0, T * B * O);                         // [T, B, O]
        var hn = ws.Hn.AsSpan(0, states * B * S);                  // [L·D, B, S]
        var cn = Rnn.HasCellState ? ws.Cn.AsSpan(0, states * B * Config.Hidden) : default;
        ReadOnlySpan<float> h0 = useState ? ws.H0.AsSpan(0, hn.Length) : default;
        ReadOnlySpan<float> c0 = useState && Rnn.HasCellState ? ws.C0.AsSpan(0, cn.Length) : default;
        bool dropout = training && Config.Dropout > 0;
        if (dropout && rng is null)
            throw new ArgumentNullException(nameof(rng), "Training with dropout needs an Rng.");
        if (kept.IsEmpty)
            Rnn.Forward(ws.Recurrent, x, T, B, lengths, h0, c0, y, hn, cn, training, rng);
        else
            Rnn.ForwardKeepingInput(ws.Recurrent, kept, T, B, lengths, h0, c0, ws.Y.AsMemory(0, T * B * O), hn, cn, training, rng);

        int rows = OutputsPerStep ? T * B : B;
        // Per-step outputs without dropout: the head reads y where it is (it stays until Backward).
        ws.HeadReadsY = OutputsPerStep && !dropout;
        var headIn = (ws.HeadReadsY ? ws.Y : ws.HeadIn).AsSpan(0, rows * O);   // [rows, O]
        if (OutputsPerStep)
        {
            if (!ws.HeadReadsY)
                y.CopyTo(headIn);
        }
        else
        {
            int D = Rnn.Directions;
            for (int d = 0; d < D; d++)
            {
                var last = hn.Slice(((Config.Layers - 1) * D + d) * B * S, B * S);
                for (int b = 0; b < B; b++)
                    last.Slice(b * S, S).CopyTo(headIn.Slice(b * O + d * S, S));
            }
        }
        ws.HeadDropout = dropout;
        if (dropout)
        {
            var mask = ws.DropoutMask.AsSpan(0, headIn.Length);
            float p = Config.Dropout;
            float scale = 1f / (1f - p);
            for (int i = 0; i < mask.Length; i++)
            {
                mask[i] = rng!.NextFloat() < p ? 0f : scale;
                headIn[i] *= mask[i];
            }
        }
        var output = ws.Output.AsSpan(0, rows * Config.OutputSize);
        Head.Forward(headIn, rows, output);
        return output;
    }

    /// <summary>
    /// Backward pass of the last forward on <paramref name="ws"/>: <paramref name="dOutput"/> is the loss gradient
    /// with respect to <see cref="SequenceWorkspace.Output"/> (same shape). Accumulates (+=) into <see cref="Parameters"/>.Grad;
    /// the caller zeroes it. No gradient flows into the carried initial state (truncated BPTT).
    /// </summary>
    public void Backward(SequenceWorkspace ws, ReadOnlySpan<float> dOutput)
    {
        ArgumentNullException.ThrowIfNull(ws);
        int T = ws.T, B = ws.B;
        int O = Rnn.OutputSize;
        int S = Rnn.StateSize;
        int states = Config.Layers * Rnn.Directions;
        int rows = OutputsPerStep ? T * B : B;
        if (dOutput.Length != rows * Config.OutputSize)
            throw new ArgumentException($"dOutput holds {dOutput.Length} values, {rows * Config.OutputSize} expected.", nameof(dOutput));

        var headIn = (ws.HeadReadsY ? ws.Y : ws.HeadIn).AsSpan(0, rows * O);
        var dHeadIn = ws.DHeadIn.AsSpan(0, rows * O);               // [rows, O]
        dHeadIn.Clear();
        Head.Backward(headIn, dOutput, rows, dHeadIn);
        if (ws.HeadDropout)
        {
            var mask = ws.DropoutMask.AsSpan(0, dHeadIn.Length);
            for (int i = 0; i < mask.Length; i++)
                dHeadIn[i] *= mask[i];
        }

        // Per-step outputs: the head's input gradient is dy as it stands ([T·B, O] = [T, B, O]).
        Span<float> dy = OutputsPerStep ? dHeadIn : ws.DY.AsSpan(0, T * B * O);
        ReadOnlySpan<float> dhn = default;
        if (!OutputsPerStep)
        {
            dy.Clear();
            var dh = ws.DHn.AsSpan(0, states * B * S);             // [L·D, B, S]
            dh.Clear();
            int D = Rnn.Directions;
            for (int d = 0; d < D; d++)
            {
                var last = dh.Slice(((Config.Layers - 1) * D + d) * B * S, B * S);
                for (int b = 0; b < B; b++)
                    dHeadIn.Slice(b * O + d * S, S).CopyTo(last.Slice(b * S, S));
            }
            dhn = dh;
        }
        var dx = Embedding is null ? default : ws.DX.AsSpan(0, T * B * InputWidth);
        Rnn.Backward(ws.Recurrent, dy, dhn, default, dx, default, default);
        Embedding?.Backward(ws.Ids.AsSpan(0, T * B), dx);
    }

    /// <summary>
    /// Creates carried state for step-by-step inference over <paramref name="batch"/> streams (unidirectional models only).
    /// It keeps the recurrent weights packed (see <see cref="StreamState"/>) and follows
    /// <see cref="Parameters.Version"/>: training or loading under a live stream is seen at its next step.
    /// </summary>
    public SequenceStream CreateStream(int batch = 1)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(batch, 1, nameof(batch));
        if (Config.Bidirectional)
            throw new InvalidOperationException("A bidirectional model cannot be run step by step.");
        return new SequenceStream(this, batch);
    }

    /// <summary>
    /// Advances every stream by one token (<paramref name="ids"/> [B]) and returns the head output [B, OutputSize]
    /// (next-token logits for lm). No allocation.
    /// </summary>
    public ReadOnlySpan<float> Step(SequenceStream stream, ReadOnlySpan<int> ids)
    {
        ArgumentNullException.ThrowIfNull(stream);
        if (Embedding is null)
            throw new InvalidOperationException("This model reads features, not token ids.");
        if (ids.Length != stream.Batch)
            throw new ArgumentException($"ids holds {ids.Length} values, the stream has {stream.Batch}.", nameof(ids));
        int V = Config.VocabularySize;
        foreach (int id in ids)
        {
            if ((uint)id >= (uint)V)
                throw new ArgumentOutOfRangeException(nameof(ids), $"token id {id} is outside the vocabulary [0, {V}).");
        }
        Embedding.Forward(ids, stream.X);
        return StepCore(stream, stream.X);
    }

    /// <summary>Advances every stream by one step of features <paramref name="x"/> [B, I] and returns the head output [B, OutputSize].</summary>
    public ReadOnlySpan<float> Step(SequenceStream stream, ReadOnlySpan<float> x)
    {
        ArgumentNullException.ThrowIfNull(stream);
        if (Embedding is not null)
            throw new InvalidOperationException("This model reads token ids, not features.");
        if (x.Length != stream.Batch * InputWidth)
            throw new ArgumentException($"x holds {x.Length} values, B·I = {stream.Batch * InputWidth} expected.", nameof(x));
        return StepCore(stream, x);
    }

    private ReadOnlySpan<float> StepCore(SequenceStream stream, ReadOnlySpan<float> x)
    {
        Rnn.Step(stream.State, x, stream.Y);
        Head.Forward(stream.Y, stream.Batch, stream.Output);
        return stream.Output;
    }
}
