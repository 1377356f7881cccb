using Baton.Numerics;

namespace Baton.Layers;

/// <summary>
/// One layer-direction of a <see cref="RecurrentStack"/> (one set of weights, e.g. <c>weight_ih_l1_reverse</c>).
/// The stack owns the layout and the plumbing (sorting by length, packing, concatenating directions, dropout,
/// unpacking); a layer only runs its recurrence over packed data. To add a cell (minGRU, minLSTM), derive from
/// this class and construct it in <c>RecurrentStack.CreateLayer</c>.
/// <para>
/// Layout (see <see cref="PackedBatch"/>): every [N, F] buffer is packed, step t's rows are
/// batch.Offsets[t] .. batch.Offsets[t] + batch.BatchSizes[t] - 1, and the sequences running at step t are the
/// sorted rows 0 .. BatchSizes[t] - 1. Per-sequence state buffers [B, F] are in the same sorted row order.
/// A forward-direction layer visits t = 0 .. T-1; a reverse one (<see cref="Reverse"/>) visits t = T-1 .. 0,
/// so each sequence starts from h0 at its own last step. A row not running at a step keeps its state untouched,
/// which gives pack_padded_sequence's final states for free.
/// </para>
/// <para>
/// Contract for implementations: no allocation in Forward/Backward/Step except inside
/// <see cref="LayerCache.Ensure"/> when the batch grows; never keep per-call state in the layer itself
/// (several threads share one layer with different caches and stream states); parameter gradients are
/// accumulated (+=) into <see cref="Parameters.Grad"/>.
/// </para>
/// </summary>
internal abstract unsafe class RecurrentLayer(Parameters parameters, int inputSize, int stateSize, int cellSize, bool reverse)
{
    /// <summary>The block that holds this layer's tensors.</summary>
    protected Parameters Parameters { get; } = parameters;

    /// <summary>Width I of the layer's input.</summary>
    public int InputSize { get; } = inputSize;

    /// <summary>Width S of h and of the layer's output y.</summary>
    public int StateSize { get; } = stateSize;

    /// <summary>Width of the cell state c (LSTM: H), 0 when the cell has none.</summary>
    public int CellSize { get; } = cellSize;

    /// <summary>True for the backward direction of a bidirectional layer.</summary>
    public bool Reverse { get; } = reverse;

    /// <summary>This layer's tensors in registration order (the order <c>ResetParameters</c> fills them).</summary>
    public abstract IReadOnlyList<ParameterTensor> Tensors { get; }

    /// <summary>Creates the buffers that one Forward caches for its Backward (sized lazily by Ensure).</summary>
    public abstract LayerCache CreateCache();

    /// <summary>
    /// Runs the recurrence. x: [N, InputSize] packed. h0: [B, StateSize], c0: [B, CellSize] (sorted rows; the stack
    /// passes zeros when the caller gave none). y: [N, StateSize] overwritten. hn / cn: [B, ·] overwritten with each
    /// row's state after its last step. Caches in <paramref name="cache"/> what Backward needs.
    /// </summary>
    public abstract void Forward(LayerCache cache, PackedBatch batch, ReadOnlySpan<float> x,
        ReadOnlySpan<float> h0, ReadOnlySpan<float> c0, Span<float> y, Span<float> hn, Span<float> cn);

    /// <summary>
    /// Backpropagation through time for the last Forward on <paramref name="cache"/>. x, h0, c0, y: that Forward's input,
    /// initial states and output, unchanged since (the layer keeps no copy of them). dy: [N, StateSize]; dhn: [B, StateSize]; dcn: [B, CellSize] (zeros when none). dx: [N, InputSize]
    /// accumulated (+=), empty = skip. dh0 / dc0 overwritten. Parameter gradients accumulated.
    /// truncateBefore: the state handed between step truncateBefore-1 and step truncateBefore (in either
    /// direction) is treated as a constant, like h.detach() there; 0 = full BPTT.
    /// </summary>
    public abstract void Backward(LayerCache cache, PackedBatch batch, ReadOnlySpan<float> x, ReadOnlySpan<float> h0,
        ReadOnlySpan<float> c0, ReadOnlySpan<float> y,
        ReadOnlySpan<float> dy, ReadOnlySpan<float> dhn, ReadOnlySpan<float> dcn,
        Span<float> dx, Span<float> dh0, Span<float> dc0, int truncateBefore);

    /// <summary>Floats of scratch that <see cref="Step"/> needs for a batch of <paramref name="batch"/> streams.</summary>
    public abstract int StepScratchSize(int batch);

    /// <summary>A stream state's copy of this layer's weights packed for <see cref="Step"/>; null when Step reads the
    /// parameters as they are.</summary>
    public virtual StepWeights? CreateStepWeights() => null;

    /// <summary>
    /// Packs W_ihᵀ and W_hhᵀ into <paramref name="w"/> when the parameters' version has moved since it was last packed;
    /// true when it did, and the caller then fills <see cref="StepWeights.Bias"/> (and any other copy it keeps).
    /// </summary>
    protected bool RepackStepWeights(StepWeights? w, ParameterTensor weightIh, ParameterTensor weightHh)
    {
        ArgumentNullException.ThrowIfNull(w);
        long version = Parameters.Version;
        if (w.Version == version)
            return false;
        w.Version = version;
        w.Ih.Pack(Parameters.Value(weightIh), InputSize, transB: true);
        w.Hh.Pack(Parameters.Value(weightHh), StateSize, transB: true);
        return true;
    }

    /// <summary>gates [B, G·H] = x · W_ihᵀ + bias, the input half of a step, as Forward's input GEMM and bias compute it.</summary>
    protected void StepInputProduct(StepWeights w, ReadOnlySpan<float> x, int batch, Span<float> gates)
    {
        int G = w.Bias.Length;
        Gemm.Sgemm(batch, 1f, x, InputSize, w.Ih, 0f, gates, G);
        RowMath.AddBias(gates, batch, w.Bias);
    }

    /// <summary>
    /// Advances <paramref name="batch"/> independent streams by one step (forward direction only).
    /// weights: this state's <see cref="CreateStepWeights"/>, packed again here when the parameters' version moved;
    /// x: [B, InputSize]; h: [B, StateSize] and c: [B, CellSize] updated in place; y: [B, StateSize] receives the
    /// new h; scratch: at least <see cref="StepScratchSize"/> floats. Must give the same values as Forward.
    /// </summary>
    public abstract void Step(StepWeights? weights, ReadOnlySpan<float> x, int batch, Span<float> h, Span<float> c, Span<float> y,
        Span<float> scratch);

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
    /// Where the running rows of step <paramref name="t"/> find the state they start from: sorted row b &lt; Rows starts
    /// from packed row Offset + b of the previously visited step (t − 1, or t + 1 in reverse), rows b ≥ Rows from the
    /// initial state (their sequence's first step in this direction). So BPTT needs no copy of h_{t−1} or c_{t−1}: they
    /// are the layer's own outputs one step earlier, or h0 / c0.
    /// </summary>
    protected (int Offset, int Rows) PreviousStep(PackedBatch batch, int t)
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

    /// <summary>Multiply-adds of one step's recurrent product below which a fused step runs on the calling thread alone.</summary>
    private const long StepParallelThreshold = 1 << 16;

    /// <summary>
    /// Parts of a fused time step (recurrent product + cell math, split by hidden units): one per thread, at most one
    /// per packed panel of <paramref name="panelWidth"/> units, and one when the step's product is too small to share.
    /// </summary>
    protected static int StepParts(int units, int panelWidth, long multiplyAdds) =>
        multiplyAdds < StepParallelThreshold ? 1 : Math.Max(1, Math.Min(Threads.Count, (units + panelWidth - 1) / panelWidth));

    /// <summary>Rows a part of a row-split sequence should have at least, so each keeps whole register tiles busy.</summary>
    private const int MinRowsPerPart = 6;

    /// <summary>Recurrent weights up to this size are read whole by every row-split part each step (they stay in L2 / near L3).</summary>
    private const long RowSplitWeightBytes = 4 << 20;

    /// <summary>
    /// Parts of a whole sequence split by batch rows (each part runs all steps of its sequences, no barrier between
    /// steps), or 1 to split each step by units instead. Rows win when the batch gives every thread at least
    /// <see cref="MinRowsPerPart"/> rows and either a step cannot be split by units (<paramref name="unitParts"/> = 1)
    /// or the recurrent weight is small enough for every core to read it whole each step (measured on lstm-small and
    /// lstm-2x512: 10–25% faster than the unit split; lstm-1024's 16 MB weight is faster split by units).
    /// </summary>
    protected static int SequenceParts(int batch, int unitParts, long weightBytes)
    {
        int rowParts = Math.Min(Threads.Count, batch / MinRowsPerPart);
        return rowParts > 1 && (unitParts == 1 || weightBytes <= RowSplitWeightBytes) ? rowParts : 1;
    }

    /// <summary>
    /// The hidden units [Start, End) of part <paramref name="index"/> of <paramref name="count"/>: whole panels, so every
    /// gate's column slice of the packed recurrent weight starts on a panel edge (except where H is not a multiple of it).
    /// </summary>
    protected static (int Start, int End) PartUnits(int units, int panelWidth, int index, int count)
    {
        int blocks = (units + panelWidth - 1) / panelWidth;
        int b0 = (int)((long)blocks * index / count), b1 = (int)((long)blocks * (index + 1) / count);
        return (Math.Min(units, b0 * panelWidth), Math.Min(units, b1 * panelWidth));
    }

    /// <summary>One time step of a unit-split run, as each part sees it (each part keeps its own copy).</summary>
    protected struct UnitStep
    {
        public int O, Bs;                     // this step's first packed row and running rows
        public int PrevO, PrevBs, PrevCut;    // backward: the step whose gradients feed dh (PrevBs = 0: none), rows to cut
        public (int Offset, int Rows) Before; // backward: where this step's rows find h_{t−1}, c_{t−1} (see PreviousStep)
        public float* Out;                    // forward: y [N, S] (where the cell writes it); backward: dy [N, S]
        public float* HIn, HOut;              // forward: the running h [B, S] before the step, and where its parts write it after
    }

    /// <summary>
    /// A whole sequence split by hidden units: one part per thread runs every step for its units and meets the others at
    /// a <see cref="SpinBarrier"/> once per step, since the next step's product reads every unit of this one's h (forward)
    /// or dGates (backward).
    /// </summary>
    internal sealed class UnitSteps(RecurrentLayer layer, LayerCache cache, int units, int panelWidth) : ITeamWork
    {
        public bool Backward;
        public PackedBatch? Batch;
        public int TruncateBefore;
        public float* Out;                   // forward: y; backward: dy
        public float* StateA, StateB;        // forward: the two running-h buffers the steps alternate between
        public int LastO, LastBs, LastCut;   // backward: the last step visited, for the caller's final deferred product

        public void Execute(int index, int count, SpinBarrier barrier)
        {
            var (j0, j1) = PartUnits(units, panelWidth, index, count);
            if (Backward)
                layer.BackwardPart(cache, this, j0, j1 - j0, index, barrier);
            else
                layer.ForwardPart(cache, this, j0, j1 - j0, index, count, barrier);
        }
    }

    /// <summary>Units [j0, j0 + n) of the forward time step <paramref name="step"/>: the recurrent product of step.HIn, the
    /// cell, and the new h written to y and, unless the layer has a <see cref="ForwardStepEpilogue"/>, to step.HOut.</summary>
    protected virtual void ForwardUnits(LayerCache cache, in UnitStep step, int j0, int n) =>
        throw new NotSupportedException($"{GetType().Name} does not split steps by units.");

    /// <summary>Units [j0, j0 + n) of the backward time step <paramref name="step"/>.</summary>
    protected virtual void BackwardUnits(LayerCache cache, in UnitStep step, int j0, int n) =>
        throw new NotSupportedException($"{GetType().Name} does not split steps by units.");

    /// <summary>True when a forward step needs every unit of the cell before its h exists (LSTM with projection).</summary>
    protected virtual bool HasForwardStepEpilogue => false;

    /// <summary>Part <paramref name="index"/> of <paramref name="count"/> of the work that turns a finished cell step into h
    /// (LSTM: h = m · W_hrᵀ for its share of the columns), writing its columns of y and step.HOut.</summary>
    protected virtual void ForwardStepEpilogue(LayerCache cache, in UnitStep step, int index, int count)
    {
    }

    /// <summary>This cache's unit-split runner, made on first use.</summary>
    protected UnitSteps Units(LayerCache cache, int panelWidth) =>
        cache.Units ??= new UnitSteps(this, cache, CellSize > 0 ? CellSize : StateSize, panelWidth);

    /// <summary>
    /// The forward recurrence from the running h in <paramref name="state"/> [B, S] (h0 there on entry): whole sequences
    /// split by batch rows where <see cref="SequenceParts"/> chooses them, else steps split by units (<paramref name="next"/>
    /// [B, S] the second running-h buffer). hn [B, S] receives each row's h after its own last step.
    /// <paramref name="multiplyAddsPerRow"/>: of one row's recurrent product (G·S: W_hh's size, as floats).
    /// </summary>
    protected void ForwardRecurrence(LayerCache cache, PackedBatch batch, Span<float> y, Span<float> state, Span<float> next,
        Span<float> hn, int panelWidth, long multiplyAddsPerRow)
    {
        int B = batch.B, units = CellSize > 0 ? CellSize : StateSize;
        int rowParts = SequenceParts(B, StepParts(units, panelWidth, B * multiplyAddsPerRow), sizeof(float) * multiplyAddsPerRow);
        if (rowParts > 1)
        {
            fixed (float* py = y)
                RunSequences(cache, batch, py, 0, backward: false, rowParts);
            state[..(B * StateSize)].CopyTo(hn);
            return;
        }
        RunForwardSteps(Units(cache, panelWidth), batch, y, state, next, panelWidth, multiplyAddsPerRow);
        FinalStates(batch, y, hn);
    }

    /// <summary>
    /// The forward loop split by hidden units (the cells' <see cref="ForwardUnits"/>), from the running h in
    /// <paramref name="stateA"/> [B, S] (h0 there on entry); <paramref name="stateB"/> [B, S] is the other buffer the steps
    /// alternate with. Read hn from y (<see cref="FinalStates"/>): the buffers end in step order, not sequence order.
    /// <paramref name="multiplyAddsPerRow"/>: of one row's recurrent product.
    /// </summary>
    private void RunForwardSteps(UnitSteps work, PackedBatch batch, Span<float> y, Span<float> stateA, Span<float> stateB,
        int panelWidth, long multiplyAddsPerRow)
    {
        int B = batch.B, S = StateSize, units = CellSize > 0 ? CellSize : StateSize;
        stateA[..(B * S)].CopyTo(stateB);   // rows that start late (reverse direction) read h0 from either buffer
        fixed (float* py = y, pa = stateA, pb = stateB)
        {
            (work.Backward, work.Batch) = (false, batch);
            work.Out = py;
            work.StateA = pa;
            work.StateB = pb;
            try
            {
                WorkerPool.Shared.RunTeam(work, StepParts(units, panelWidth, B * multiplyAddsPerRow));
            }
            finally
            {
                work.Batch = null;
                work.Out = work.StateA = work.StateB = null;
            }
        }
    }

    private void ForwardPart(LayerCache cache, UnitSteps w, int j0, int n, int index, int count, SpinBarrier barrier)
    {
        var batch = w.Batch!;
        int T = batch.T;
        var step = new UnitStep { Out = w.Out };
        int visited = 0;
        for (int s = 0; s < T; s++)
        {
            int t = Reverse ? T - 1 - s : s;
            int bs = batch.BatchSizes[t];
            if (bs == 0)
                continue;
            (step.O, step.Bs) = (batch.Offsets[t], bs);
            bool even = (visited++ & 1) == 0;
            step.HIn = even ? w.StateA : w.StateB;
            step.HOut = even ? w.StateB : w.StateA;
            if (n > 0)
                ForwardUnits(cache, step, j0, n);
            if (HasForwardStepEpilogue)
            {
                barrier.SignalAndWait();
                ForwardStepEpilogue(cache, step, index, count);
            }
            barrier.SignalAndWait();
        }
    }

    /// <summary>hn [B, S] = each sorted row's h after its own last step: its row of y at step length − 1 (step 0 in reverse).</summary>
    protected void FinalStates(PackedBatch batch, ReadOnlySpan<float> y, Span<float> hn)
    {
        int S = StateSize;
        for (int b = 0; b < batch.B; b++)
        {
            int t = Reverse ? 0 : batch.Lengths[b] - 1;
            y.Slice((batch.Offsets[t] + b) * S, S).CopyTo(hn.Slice(b * S, S));
        }
    }

    /// <summary>
    /// The backward recurrence, with the running dh (and dc) holding dhn (dcn) on entry and dh_0 (dc_0) on return: whole
    /// sequences split by batch rows where <see cref="SequenceParts"/> chooses them (as the forward did), else steps split
    /// by units, whose last visited step's deferred product runs here (<see cref="DeferredRows"/>).
    /// <paramref name="multiplyAddsPerRow"/>: of one row's recurrent product (G·S).
    /// </summary>
    protected void BackwardRecurrence(LayerCache cache, PackedBatch batch, ReadOnlySpan<float> dy, int truncateBefore,
        int panelWidth, long multiplyAddsPerRow)
    {
        int B = batch.B, units = CellSize > 0 ? CellSize : StateSize;
        int rowParts = SequenceParts(B, StepParts(units, panelWidth, B * multiplyAddsPerRow), sizeof(float) * multiplyAddsPerRow);
        if (rowParts > 1)
        {
            fixed (float* pdy = dy)
                RunSequences(cache, batch, pdy, truncateBefore, backward: true, rowParts);
            return;
        }
        var work = Units(cache, panelWidth);
        RunBackwardSteps(work, batch, dy, truncateBefore, panelWidth, multiplyAddsPerRow);
        if (work.LastBs > 0)
            DeferredRows(cache, work.LastO, 0, work.LastBs, work.LastCut);
    }

    /// <summary>
    /// The backward loop split by hidden units (the cells' <see cref="BackwardUnits"/>, each first applying the previous
    /// step's deferred recurrent product). Leaves the last visited step in LastO / LastBs / LastCut for the caller's final
    /// product. <paramref name="multiplyAddsPerRow"/>: of one row's product.
    /// </summary>
    private void RunBackwardSteps(UnitSteps work, PackedBatch batch, ReadOnlySpan<float> dy, int truncateBefore,
        int panelWidth, long multiplyAddsPerRow)
    {
        int units = CellSize > 0 ? CellSize : StateSize;
        fixed (float* pdy = dy)
        {
            (work.Backward, work.Batch, work.TruncateBefore, work.LastBs) = (true, batch, truncateBefore, 0);
            work.Out = pdy;
            try
            {
                WorkerPool.Shared.RunTeam(work, StepParts(units, panelWidth, batch.B * multiplyAddsPerRow));
            }
            finally
            {
                work.Batch = null;
                work.Out = null;
            }
        }
    }

    private void BackwardPart(LayerCache cache, UnitSteps w, int j0, int n, int index, SpinBarrier barrier)
    {
        var batch = w.Batch!;
        int T = batch.T;
        var step = new UnitStep { Out = w.Out };
        for (int s = T - 1; s >= 0; s--)
        {
            int t = Reverse ? T - 1 - s : s;
            int bs = batch.BatchSizes[t];
            if (bs == 0)
                continue;
            (step.O, step.Bs, step.Before) = (batch.Offsets[t], bs, PreviousStep(batch, t));
            if (n > 0)
                BackwardUnits(cache, step, j0, n);
            barrier.SignalAndWait();
            (step.PrevO, step.PrevBs) = (step.O, bs);
            step.PrevCut = IsCut(t, w.TruncateBefore) ? CutRows(batch, t, Reverse) : 0;
        }
        if (index == 0)
            (w.LastO, w.LastBs, w.LastCut) = (step.PrevO, step.PrevBs, step.PrevCut);
    }

    /// <summary>
    /// Runs the whole sequence split by batch rows over <paramref name="parts"/> threads: sequences never interact, so
    /// each part runs every step of its own rows (<see cref="ForwardRows"/> / <see cref="BackwardRows"/>) with no barrier
    /// between steps. output: y [N, S] forward, dy [N, S] backward (pinned by the caller).
    /// </summary>
    protected void RunSequences(LayerCache cache, PackedBatch batch, float* output, int truncateBefore, bool backward, int parts)
    {
        var work = cache.Sequences ??= new SequenceWork(this, cache);
        (work.Backward, work.Batch, work.TruncateBefore) = (backward, batch, truncateBefore);
        work.Out = output;
        WorkerPool.Shared.Run(work, parts);
        work.Batch = null;
        work.Out = null;
    }

    /// <summary>Forward over every step of the sorted rows [b0, b1) only.</summary>
    protected virtual void ForwardRows(LayerCache cache, PackedBatch batch, float* y, int b0, int b1) =>
        throw new NotSupportedException($"{GetType().Name} does not split sequences by rows.");

    /// <summary>
    /// Backward over every step of the sorted rows [b0, b1) only (see <see cref="ForwardRows"/>): each step first applies the
    /// previously visited step's deferred recurrent product to its rows of dh (<see cref="DeferredRows"/>), then the cell's
    /// backward for its own rows (<see cref="BackwardStepRows"/>).
    /// </summary>
    private void BackwardRows(LayerCache cache, PackedBatch batch, float* dy, int truncateBefore, int b0, int b1)
    {
        int T = batch.T;
        int prevO = 0, prevR1 = 0, prevCut = 0;
        for (int s = T - 1; s >= 0; s--)
        {
            int t = Reverse ? T - 1 - s : s;
            int bs = batch.BatchSizes[t];
            if (bs == 0)
                continue;
            int o = batch.Offsets[t], r1 = Math.Min(b1, bs);
            if (prevR1 > b0)
                DeferredRows(cache, prevO, b0, prevR1, Math.Min(prevCut, b1));
            if (r1 > b0)
                BackwardStepRows(cache, batch, t, b0, r1, dy);
            (prevO, prevR1) = (o, r1);
            prevCut = IsCut(t, truncateBefore) ? CutRows(batch, t, Reverse) : 0;
        }
        if (prevR1 > b0)
            DeferredRows(cache, prevO, b0, prevR1, Math.Min(prevCut, b1));
    }

    /// <summary>dh rows [b0, r1) from the recurrent product of those rows of the step at packed row <paramref name="o"/>'s
    /// gate gradients, then the rows below <paramref name="cut"/> detached.</summary>
    protected virtual void DeferredRows(LayerCache cache, int o, int b0, int r1, int cut) =>
        throw new NotSupportedException($"{GetType().Name} does not split sequences by rows.");

    /// <summary>The cell's backward for sorted rows [b0, r1) of step <paramref name="t"/> (dh already holds their gradient
    /// from the later steps).</summary>
    protected virtual void BackwardStepRows(LayerCache cache, PackedBatch batch, int t, int b0, int r1, float* dy) =>
        throw new NotSupportedException($"{GetType().Name} does not split sequences by rows.");

    /// <summary>One part of <see cref="RunSequences"/>: the sorted rows [B·index/count, B·(index+1)/count).</summary>
    internal sealed class SequenceWork(RecurrentLayer layer, LayerCache cache) : IParallelWork
    {
        public bool Backward;
        public PackedBatch? Batch;
        public int TruncateBefore;
        public float* Out;

        public void Execute(int index, int count)
        {
            int B = Batch!.B;
            int b0 = (int)((long)B * index / count), b1 = (int)((long)B * (index + 1) / count);
            if (Backward)
                layer.BackwardRows(cache, Batch, Out, TruncateBefore, b0, b1);
            else
                layer.ForwardRows(cache, Batch, Out, b0, b1);
        }
    }

    /// <summary>Whether the state link leaving step <paramref name="t"/> toward earlier-processed steps is cut by
    /// truncation: forward direction at t = truncateBefore, reverse direction at t = truncateBefore - 1.</summary>
    protected bool IsCut(int t, int truncateBefore) =>
        truncateBefore > 0 && (Reverse ? t == truncateBefore - 1 : t == truncateBefore);

    /// <summary>Rows of the backward state whose gradient crosses the cut at step t (see <see cref="IsCut"/>).</summary>
    protected static int CutRows(PackedBatch batch, int t, bool reverse) =>
        reverse ? (t + 1 < batch.T ? batch.BatchSizes[t + 1] : 0) : batch.BatchSizes[t];
}

/// <summary>What a <see cref="RecurrentLayer"/>'s Forward keeps for its Backward; one per layer-direction per workspace.</summary>
internal abstract class LayerCache
{
    /// <summary>Rows (N) the buffers currently hold.</summary>
    public int RowCapacity { get; private set; }

    /// <summary>Batch (B) the per-sequence buffers currently hold.</summary>
    public int BatchCapacity { get; private set; }

    /// <summary>Grows the buffers to hold <paramref name="rows"/> packed rows and <paramref name="batch"/> sequences.</summary>
    public void Ensure(int rows, int batch)
    {
        if (rows <= RowCapacity && batch <= BatchCapacity)
            return;
        RowCapacity = Math.Max(rows, RowCapacity);
        BatchCapacity = Math.Max(batch, BatchCapacity);
        Allocate(RowCapacity, BatchCapacity);
    }

    /// <summary>The unit-split runs of this cache (see <see cref="RecurrentLayer.RunForwardSteps"/>).</summary>
    internal RecurrentLayer.UnitSteps? Units { get; set; }

    /// <summary>The row-split run of this cache (see <see cref="RecurrentLayer.RunSequences"/>).</summary>
    internal RecurrentLayer.SequenceWork? Sequences { get; set; }

    /// <summary>During Backward only: the Forward's output y [N, S] and initial states h0 [B, S], c0 [B, C] (pinned by Backward),
    /// which give every step's h_{t−1} and c_{t−1} (see <see cref="RecurrentLayer.PreviousStep"/>).</summary>
    internal unsafe float* Y, H0, C0;

    /// <summary>Allocates every buffer for the given capacities.</summary>
    protected abstract void Allocate(int rows, int batch);
}
