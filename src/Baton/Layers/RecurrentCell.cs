using Baton.Numerics;

namespace Baton.Layers;

/// <summary>
/// A cell that runs step by step (Elman, LSTM, GRU): what the cell computes, apart from how its time loop is scheduled.
/// A cell writes one time step as two methods over a <see cref="StepBlock"/> of rows × units, <see cref="ForwardBlock"/>
/// and <see cref="BackwardBlock"/>, plus what happens once per sequence around the loop (the input projection of all
/// steps in Forward, the weight gradients of all steps in Backward, the input half of a streaming step in
/// <see cref="StepInput"/>). <see cref="StepScheduler"/> runs the blocks: whole sequences split by batch rows, each step
/// split by hidden units, whole steps on the calling thread, and streaming steps; every split computes each element by
/// the same operations, so results do not depend on it.
/// </summary>
internal abstract unsafe class RecurrentCell(Parameters parameters, int inputSize, int stateSize, int cellSize, int gateWidth, bool reverse)
    : RecurrentLayer(parameters, inputSize, stateSize, cellSize, reverse)
{
    /// <summary>Width G·H of the gate pre-activations x · W_ihᵀ.</summary>
    public int GateWidth { get; } = gateWidth;

    /// <summary>The hidden units a step is split by: the cell state's width for an LSTM, h's otherwise.</summary>
    public int Units => CellSize > 0 ? CellSize : StateSize;

    /// <summary>
    /// Forward of units [U0, U0 + N) of rows [R0, R1) of one step: the recurrent product of those rows of
    /// <see cref="StepBlock.HIn"/> for those units' gate columns, then the cell, writing h_t to <see cref="StepBlock.Out"/>
    /// and <see cref="StepBlock.HOut"/> (unless <see cref="StepNeedsEveryUnit"/>: then <see cref="ForwardEpilogue"/> does)
    /// and caching what <see cref="BackwardBlock"/> needs.
    /// </summary>
    public abstract void ForwardBlock(CellCache cache, in StepBlock step);

    /// <summary>
    /// Backward of units [U0, U0 + N) of rows [R0, R1) of one step: first the product deferred from the step visited before
    /// (its gate gradients times W_hh give these rows' gradient of h_t; every unit of it needs every gate gradient, so it
    /// runs once they all exist) and that step's truncation cut, then the cell's backward with dy, leaving the gate
    /// gradients for the next visited step's product and the weight gradients.
    /// </summary>
    public abstract void BackwardBlock(CellCache cache, in StepBlock step);

    /// <summary>True when a step's h needs every unit of the cell (LSTM with projection, h = W_hr m): a forward split by units
    /// then finishes each step in <see cref="ForwardEpilogue"/> after a barrier, and a backward step is never split by units.</summary>
    public virtual bool StepNeedsEveryUnit => false;

    /// <summary>Columns [c0, c1) of h_t for rows [R0, R1) of <paramref name="step"/> from the finished cell step, into
    /// <see cref="StepBlock.Out"/> and <see cref="StepBlock.HOut"/>; only for cells where <see cref="StepNeedsEveryUnit"/>.</summary>
    public virtual void ForwardEpilogue(CellCache cache, in StepBlock step, int c0, int c1)
    {
    }

    /// <summary>
    /// The input half of a streaming step: packs this stream's copy of the weights again when <see cref="Parameters.Version"/>
    /// has moved (<see cref="RepackForStep"/>), then writes x [B, I] · W_ihᵀ + bias where <see cref="ForwardBlock"/> reads it
    /// (the cache's gate rows 0 .. B − 1, or <paramref name="y"/> [B, S]).
    /// </summary>
    public abstract void StepInput(CellCache cache, ReadOnlySpan<float> x, int batch, Span<float> y);

    public override LayerCache CreateStepCache(int batch)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(batch, 1, nameof(batch));
        var k = (CellCache)CreateCache();
        k.Ensure(batch, batch);
        k.InputWeights = new PackedMatrix(InputSize, GateWidth);
        return k;
    }

    public override void Step(LayerCache cache, ReadOnlySpan<float> x, int batch, Span<float> h, Span<float> c, Span<float> y) =>
        StepScheduler.Stream(this, (CellCache)cache, x, batch, h, c, y);

    /// <summary>The scheduler of this cache's time loops, made on first use.</summary>
    protected StepScheduler Scheduler(CellCache cache) => cache.Scheduler ??= new StepScheduler(this, cache);

    /// <summary>
    /// Packs W_ihᵀ into the stream's <see cref="CellCache.InputWeights"/> and W_hhᵀ into <paramref name="hhT"/> when the
    /// parameters' version has moved since the stream last packed them; true when it did, and the caller then refreshes the
    /// rest of its copy (the bias, W_hrᵀ).
    /// </summary>
    protected bool RepackForStep(CellCache cache, ParameterTensor weightIh, ParameterTensor weightHh, PackedMatrix hhT)
    {
        long version = Parameters.Version;
        if (cache.StepVersion == version)
            return false;
        cache.StepVersion = version;
        cache.InputWeights!.Pack(Parameters.Value(weightIh), InputSize, transB: true);
        hhT.Pack(Parameters.Value(weightHh), StateSize, transB: true);
        return true;
    }

    /// <summary>gates [B, G·H] = x · W_ihᵀ + bias on the stream's packed W_ihᵀ, as Forward's input GEMM and bias compute it.</summary>
    protected static void StepInputProduct(CellCache cache, ReadOnlySpan<float> x, int batch, ReadOnlySpan<float> bias, Span<float> gates)
    {
        var w = cache.InputWeights!;
        Gemm.Sgemm(batch, 1f, x, w.K, w, 0f, gates, w.N);
        RowMath.AddBias(gates, batch, bias);
    }

    /// <summary>
    /// c (+)= a · b for <paramref name="rows"/> rows, restricted to columns [u0, u0 + n) of each of <paramref name="groups"/>
    /// equal column groups of b (the gate slices of a block's units); a [rows, b.K] with stride lda, c [rows, b.N] with
    /// stride ldc. A block of every unit runs one product over all columns, through the worker pool when the block is
    /// <see cref="StepBlock.Whole"/>; every element is computed as by the whole product.
    /// </summary>
    protected static void Product(in StepBlock step, int rows, ReadOnlySpan<float> a, int lda, PackedMatrix b, float beta,
        Span<float> c, int ldc, int u0, int n, int groups = 1)
    {
        if (rows <= 0 || n <= 0)
            return;
        int width = b.N / groups;
        if (n == width && step.Whole)
            Gemm.Sgemm(rows, 1f, a, lda, b, beta, c, ldc);
        else if (n == width)
            Gemm.Sgemm(rows, 1f, a, lda, b, beta, c, ldc, 0, b.N);
        else if (groups == 1)
            Gemm.Sgemm(rows, 1f, a, lda, b, beta, c, ldc, u0, n);
        else
            Gemm.Sgemm(rows, 1f, a, lda, b, beta, c, ldc, u0, n, groups, width);
    }

    /// <summary>Rows [first, first + rows) of a [·, width] buffer given by its pointer.</summary>
    protected static Span<float> Rows(float* buffer, int first, int rows, int width) =>
        new(buffer + (long)first * width, Math.Max(rows, 0) * width);

    /// <summary>
    /// Where the running rows of step <paramref name="t"/> find the state they start from: sorted row b &lt; Rows starts
    /// from packed row Offset + b of the previously visited step (t − 1, or t + 1 in reverse), rows b ≥ Rows from the
    /// initial state (their sequence's first step in this direction). So BPTT needs no copy of h_{t−1} or c_{t−1}: they
    /// are the layer's own outputs one step earlier, or h0 / c0.
    /// </summary>
    public (int Offset, int Rows) PreviousStep(PackedBatch batch, int t)
    {
        int p = Reverse ? t + 1 : t - 1;
        return p >= 0 && p < batch.T ? (batch.Offsets[p], Math.Min(batch.BatchSizes[p], batch.BatchSizes[t])) : (0, 0);
    }

    /// <summary>Units [j0, j0 + n) of the state sorted row b of a step started from (<paramref name="previous"/> from
    /// <see cref="PreviousStep"/>): a row of <paramref name="states"/> [N, width], or of <paramref name="initial"/> [B, width].</summary>
    protected static ReadOnlySpan<float> PreviousState(ReadOnlySpan<float> states, ReadOnlySpan<float> initial,
        (int Offset, int Rows) previous, int b, int width, int j0, int n) =>
        b < previous.Rows ? states.Slice((previous.Offset + b) * width + j0, n) : initial.Slice(b * width + j0, n);

    /// <summary>
    /// The gradients of all steps at once, one GEMM each (the same for every gated cell): with
    /// dGatesX, dGatesH [N, G] the gate-preactivation gradients of the input and recurrent parts
    /// (the same buffer where the two biases add alike), x [N, I], and h_prev the state each row's step started from
    /// (see <see cref="AccumulatePreviousStateProduct"/>; y [N, S] this layer's output, h0 [B, S]):
    /// dW_ih += dGatesXᵀ·x, dW_hh += dGatesHᵀ·h_prev, db_ih += Σ_rows dGatesX, db_hh += Σ_rows dGatesH,
    /// and, unless <paramref name="dx"/> is empty, dx += dGatesX·W_ih.
    /// </summary>
    protected void AccumulateWeightGradients(ParameterTensor weightIh, ParameterTensor weightHh, ParameterTensor biasIh,
        ParameterTensor biasHh, PackedBatch batch, ReadOnlySpan<float> dGatesX, ReadOnlySpan<float> dGatesH,
        ReadOnlySpan<float> x, ReadOnlySpan<float> y, ReadOnlySpan<float> h0, Span<float> startRows, Span<float> dx)
    {
        int G = weightIh.Shape[0], I = weightIh.Shape[1], rows = batch.N;
        Gemm.Sgemm(true, false, G, I, rows, 1f, dGatesX, G, x, I, 1f, Parameters.Gradient(weightIh), I);
        AccumulatePreviousStateProduct(batch, G, dGatesH, G, y, h0, startRows, Parameters.Gradient(weightHh));
        RowMath.AddColumnSums(dGatesX, rows, Parameters.Gradient(biasIh));
        RowMath.AddColumnSums(dGatesH, rows, Parameters.Gradient(biasHh));
        if (!dx.IsEmpty)
            Gemm.Sgemm(false, false, rows, I, G, 1f, dGatesX, G, Parameters.Value(weightIh), I, 1f, dx, I);
    }

    /// <summary>
    /// dW [G, S] += Σ_rows dGates[row, :]ᵀ · h_prev(row), with h_prev(row) the state the row's step started from
    /// (<see cref="PreviousStep"/>): a row of y [N, S] (this layer's output), or of h0 [B, S] at a sequence's first step.
    /// Steps whose rows and previous rows both continue the last run join its GEMM: a full batch is one GEMM over N − B
    /// rows. Each sequence starts once, so its first-step rows are gathered into <paramref name="startRows"/> [B, G] for
    /// one more GEMM with h0. dGates rows have stride <paramref name="ldG"/>.
    /// </summary>
    protected void AccumulatePreviousStateProduct(PackedBatch batch, int G, ReadOnlySpan<float> dGates, int ldG,
        ReadOnlySpan<float> y, ReadOnlySpan<float> h0, Span<float> startRows, Span<float> dW)
    {
        int S = dW.Length / G;
        int runD = 0, runY = 0, runRows = 0;
        for (int t = 0; t < batch.T; t++)
        {
            int bs = batch.BatchSizes[t];
            if (bs == 0)
                break;
            int o = batch.Offsets[t];
            var (prevO, valid) = PreviousStep(batch, t);
            if (valid > 0)
            {
                if (runRows > 0 && o == runD + runRows && prevO == runY + runRows)
                {
                    runRows += valid;
                }
                else
                {
                    Flush(G, S, runD, runY, runRows, dGates, ldG, y, dW);
                    (runD, runY, runRows) = (o, prevO, valid);
                }
            }
            for (int b = valid; b < bs; b++)
                dGates.Slice((o + b) * ldG, G).CopyTo(startRows.Slice(b * G, G));
        }
        Flush(G, S, runD, runY, runRows, dGates, ldG, y, dW);
        Gemm.Sgemm(true, false, G, S, batch.B, 1f, startRows, G, h0, S, 1f, dW, S);

        static void Flush(int G, int S, int d, int yo, int rows, ReadOnlySpan<float> dGates, int ldG, ReadOnlySpan<float> y, Span<float> dW)
        {
            if (rows > 0)
                Gemm.Sgemm(true, false, G, S, rows, 1f, dGates[(d * ldG)..], ldG, y[(yo * S)..], S, 1f, dW, S);
        }
    }
}

/// <summary>What a <see cref="RecurrentCell"/> keeps: the buffers its Forward caches for its Backward, or, for a streaming
/// step (<see cref="RecurrentCell.CreateStepCache"/>), its copy of the weights and the step's buffers.</summary>
internal abstract unsafe class CellCache : LayerCache
{
    /// <summary>The time loops of this cache (see <see cref="StepScheduler"/>), made on first use.</summary>
    internal StepScheduler? Scheduler { get; set; }

    /// <summary>Streaming only: W_ihᵀ [I, G·H] packed for the step's input product.</summary>
    internal PackedMatrix? InputWeights { get; set; }

    /// <summary>Streaming only: the <see cref="Parameters.Version"/> the weights were packed from; −1 before the first step.</summary>
    internal long StepVersion { get; set; } = -1;

    /// <summary>During Backward only: the Forward's output y [N, S] and initial states h0 [B, S], c0 [B, C] (pinned by Backward),
    /// which give every step's h_{t−1} and c_{t−1} (see <see cref="RecurrentCell.PreviousStep"/>).</summary>
    internal float* Y, H0, C0;
}
