using Baton.Numerics;

namespace Baton.Layers;

/// <summary>
/// Runs a <see cref="RecurrentCell"/>'s time loop over one cache: the only place that decides how the steps of a
/// sequence are shared between threads. Four ways, each calling the cell's <see cref="RecurrentCell.ForwardBlock"/> /
/// <see cref="RecurrentCell.BackwardBlock"/> on <see cref="StepBlock"/>s:
/// <list type="bullet">
/// <item>Rows: whole sequences split by batch rows. Sequences never interact, so each part runs every step of its own
/// rows × every unit, with no barrier between steps (<see cref="SequenceParts"/> chooses it).</item>
/// <item>Units: each step split by hidden units. One part per thread runs every step for its units × every running row
/// and meets the others at a <see cref="SpinBarrier"/> once per step, since the next step's product reads every unit of
/// this one's h (forward) or gate gradients (backward); the product's output never leaves the core that applies the gates
/// to it.</item>
/// <item>Whole: one part, each step one block on the calling thread (its products may use the pool).</item>
/// <item>Streaming (<see cref="Stream"/>): one step of B streams as one whole block.</item>
/// </list>
/// Every element is computed by the same operations in each, so the results do not depend on the thread count.
/// </summary>
internal sealed unsafe class StepScheduler(RecurrentCell cell, CellCache cache) : IParallelWork, ITeamWork
{
    /// <summary>Multiply-adds of one step's recurrent product below which a step runs on the calling thread alone.</summary>
    private const long StepParallelThreshold = 1 << 16;

    /// <summary>Rows a part of a row-split sequence should have at least, so each keeps whole register tiles busy.</summary>
    private const int MinRowsPerPart = 6;

    /// <summary>Recurrent weights up to this size are read whole by every row-split part each step (they stay in L2 / near L3).</summary>
    private const long RowSplitWeightBytes = 4 << 20;

    // The run in progress (set by Forward / Backward, read by the parts).
    private bool backward;
    private PackedBatch? batch;
    private int truncateBefore, panelWidth;
    private float* output;            // forward: y [N, S]; backward: dy [N, S]
    private readonly SpinBarrier alone = new();   // one party: what a dissolved team's part 0 goes on with
    private float* stateA, stateB;    // forward: the running h [B, S] (h0 on entry), and the other buffer a unit split alternates with
    private float* cellState;         // forward: the running c [B, C], or null

    /// <summary>
    /// The forward recurrence. y [N, S] holds what the cell's blocks expect there (Elman: the input projection);
    /// <paramref name="state"/> [B, S] holds h0 on entry, <paramref name="next"/> [B, S] is scratch, <paramref name="c"/>
    /// [B, C] holds c0 on entry and each row's c after its own last step on return (empty when the cell has none); hn [B, S]
    /// receives each row's h after its own last step. <paramref name="multiplyAddsPerRow"/>: of one row's recurrent product
    /// (G·S, W_hh's size as floats).
    /// </summary>
    public void Forward(PackedBatch batch, Span<float> y, Span<float> state, Span<float> next, Span<float> c, Span<float> hn,
        int panelWidth, long multiplyAddsPerRow)
    {
        int B = batch.B, S = cell.StateSize;
        int unitParts = StepParts(cell.Units, panelWidth, B * multiplyAddsPerRow);
        int rowParts = SequenceParts(B, unitParts, sizeof(float) * multiplyAddsPerRow);
        bool byUnits = rowParts == 1 && unitParts > 1;
        if (byUnits)
            state[..(B * S)].CopyTo(next);   // rows that start late (reverse direction) read h0 from either buffer
        fixed (float* py = y, pa = state, pb = next, pc = c)
        {
            (this.batch, this.panelWidth, backward) = (batch, panelWidth, false);
            output = py;
            stateA = pa;
            stateB = pb;
            cellState = pc;
            try
            {
                RunSplit(rowParts, unitParts, byUnits);
            }
            finally
            {
                this.batch = null;
                output = stateA = stateB = cellState = null;
            }
        }
        if (byUnits)
            FinalStates(batch, y, hn);         // the buffers end in step order, not sequence order
        else
            state[..(B * S)].CopyTo(hn);       // updated in place: each row holds its h after its own last step
    }

    /// <summary>
    /// The backward recurrence, with the cache's running dh (and dc) holding dhn (dcn) on entry and dh_0 (dc_0) on return
    /// (the cell's blocks read them there), split as the forward was (a step the cell cannot split by units runs whole).
    /// </summary>
    public void Backward(PackedBatch batch, ReadOnlySpan<float> dy, int truncateBefore, int panelWidth, long multiplyAddsPerRow)
    {
        int B = batch.B;
        int unitParts = cell.StepNeedsEveryUnit ? 1 : StepParts(cell.Units, panelWidth, B * multiplyAddsPerRow);
        int rowParts = SequenceParts(B, unitParts, sizeof(float) * multiplyAddsPerRow);
        bool byUnits = rowParts == 1 && unitParts > 1;
        fixed (float* pdy = dy)
        {
            (this.batch, this.panelWidth, this.truncateBefore, backward) = (batch, panelWidth, truncateBefore, true);
            output = pdy;
            try
            {
                RunSplit(rowParts, unitParts, byUnits);
            }
            finally
            {
                this.batch = null;
                output = null;
            }
        }
    }

    /// <summary>
    /// One streaming step of <paramref name="batch"/> streams: the cell's <see cref="RecurrentCell.StepInput"/>, then one
    /// whole block of every row × every unit with h [B, S] and c [B, C] updated in place and y [B, S] receiving h.
    /// </summary>
    public static void Stream(RecurrentCell cell, CellCache cache, ReadOnlySpan<float> x, int batch, Span<float> h, Span<float> c,
        Span<float> y)
    {
        cell.StepInput(cache, x, batch, y);
        fixed (float* ph = h, pc = c, py = y)
        {
            var step = new StepBlock { R1 = batch, N = cell.Units, Whole = true, Out = py, HIn = ph, HOut = ph, C = pc };
            cell.ForwardBlock(cache, step);
            if (cell.StepNeedsEveryUnit)
                cell.ForwardEpilogue(cache, step, 0, cell.StateSize);
        }
    }

    /// <summary>Runs the set-up direction by rows (several parts), by units (a team) or whole on this thread.</summary>
    private void RunSplit(int rowParts, int unitParts, bool byUnits)
    {
        if (rowParts > 1)
            WorkerPool.Shared.Run(this, rowParts);
        else if (byUnits)
            WorkerPool.Shared.RunTeam(this, unitParts);
        else if (backward)
            BackwardRows(0, batch!.B, whole: true);
        else
            ForwardRows(0, batch!.B, whole: true);
    }

    /// <summary>Row split: part <paramref name="index"/> of <paramref name="count"/> runs the sorted rows [B·index/count, B·(index+1)/count).</summary>
    void IParallelWork.Execute(int index, int count)
    {
        int B = batch!.B;
        int b0 = (int)((long)B * index / count), b1 = (int)((long)B * (index + 1) / count);
        if (backward)
            BackwardRows(b0, b1, whole: false);
        else
            ForwardRows(b0, b1, whole: false);
    }

    /// <summary>Unit split: part <paramref name="index"/> of <paramref name="count"/> runs the units <see cref="PartUnits"/> gives it.</summary>
    void ITeamWork.Execute(int index, int count, SpinBarrier barrier)
    {
        var (j0, j1) = PartUnits(cell.Units, panelWidth, index, count);
        if (backward)
            BackwardUnits(j0, j1 - j0, index, barrier);
        else
            ForwardUnits(j0, j1 - j0, index, count, barrier);
    }

    /// <summary>Forward over every step of the sorted rows [b0, b1) × every unit, h updated in place in the running state.</summary>
    private void ForwardRows(int b0, int b1, bool whole)
    {
        var batch = this.batch!;
        int T = batch.T;
        var step = new StepBlock { R0 = b0, N = cell.Units, Whole = whole, Out = output, HIn = stateA, HOut = stateA, C = cellState };
        for (int s = 0; s < T; s++)
        {
            int t = cell.Reverse ? T - 1 - s : s;
            step.R1 = Math.Min(b1, batch.BatchSizes[t]);
            if (step.R1 <= b0)
                continue;
            step.O = batch.Offsets[t];
            cell.ForwardBlock(cache, step);
            if (cell.StepNeedsEveryUnit)
                cell.ForwardEpilogue(cache, step, 0, cell.StateSize);
        }
    }

    /// <summary>Forward over every step for units [j0, j0 + n) × every running row; the steps alternate between the two
    /// running-h buffers, since the other parts still read h_{t−1} while this one writes h_t.</summary>
    private void ForwardUnits(int j0, int n, int index, int count, SpinBarrier barrier)
    {
        var batch = this.batch!;
        int T = batch.T, S = cell.StateSize;
        var step = new StepBlock { U0 = j0, N = n, Out = output, C = cellState };
        int visited = 0;
        for (int s = 0; s < T; s++)
        {
            int t = cell.Reverse ? T - 1 - s : s;
            int bs = batch.BatchSizes[t];
            if (bs == 0)
                continue;
            (step.O, step.R1) = (batch.Offsets[t], bs);
            bool even = (visited++ & 1) == 0;
            step.HIn = even ? stateA : stateB;
            step.HOut = even ? stateB : stateA;
            if (n > 0)
                cell.ForwardBlock(cache, step);
            if (cell.StepNeedsEveryUnit)
            {
                barrier.SignalAndWait();
                cell.ForwardEpilogue(cache, step, (int)((long)S * index / count), (int)((long)S * (index + 1) / count));
            }
            barrier.SignalAndWait();
            if (count > 1 && barrier.Dissolved)
            {
                // Other processes hold the cores: part 0 runs every unit of the steps left, alone; the others leave.
                if (index != 0)
                    return;
                (step.U0, step.N, n, count, barrier) = (0, cell.Units, cell.Units, 1, alone);
            }
        }
    }

    /// <summary>
    /// Backward over every step of the sorted rows [b0, b1) × every unit, in the reverse of the forward's order: each block
    /// first finishes the previously visited step's product for its rows, then runs this step's cell backward; a last block
    /// finishes the last step's product.
    /// </summary>
    private void BackwardRows(int b0, int b1, bool whole)
    {
        var batch = this.batch!;
        int T = batch.T;
        var step = new StepBlock { R0 = b0, N = cell.Units, Whole = whole, Out = output };
        for (int s = T - 1; s >= 0; s--)
        {
            int t = cell.Reverse ? T - 1 - s : s;
            int bs = batch.BatchSizes[t];
            if (bs == 0)
                continue;
            (step.O, step.R1, step.Before) = (batch.Offsets[t], Math.Min(b1, bs), cell.PreviousStep(batch, t));
            if (step.PrevR1 > b0 || step.R1 > b0)
                cell.BackwardBlock(cache, step);
            (step.PrevO, step.PrevR1) = (step.O, step.R1);
            step.PrevCut = IsCut(t) ? Math.Min(CutRows(batch, t), b1) : 0;
        }
        step.R1 = b0;
        if (step.PrevR1 > b0)
            cell.BackwardBlock(cache, step);
    }

    /// <summary>Backward over every step for units [j0, j0 + n) × every running row, meeting the other parts once per step
    /// (the next block's product reads every gate gradient of this one); each part finishes the last step's product for
    /// its own units.</summary>
    private void BackwardUnits(int j0, int n, int index, SpinBarrier barrier)
    {
        var batch = this.batch!;
        int T = batch.T;
        var step = new StepBlock { U0 = j0, N = n, Out = output };
        for (int s = T - 1; s >= 0; s--)
        {
            int t = cell.Reverse ? T - 1 - s : s;
            int bs = batch.BatchSizes[t];
            if (bs == 0)
                continue;
            (step.O, step.R1, step.Before) = (batch.Offsets[t], bs, cell.PreviousStep(batch, t));
            if (n > 0)
                cell.BackwardBlock(cache, step);
            barrier.SignalAndWait();
            (step.PrevO, step.PrevR1) = (step.O, bs);
            step.PrevCut = IsCut(t) ? CutRows(batch, t) : 0;
            if (barrier.Parties > 1 && barrier.Dissolved)
            {
                // As in ForwardUnits: part 0 goes on with every unit, including the last step's product for all of them.
                if (index != 0)
                    return;
                (step.U0, step.N, n, barrier) = (0, cell.Units, cell.Units, alone);
            }
        }
        step.R1 = 0;
        if (n > 0 && step.PrevR1 > 0)
            cell.BackwardBlock(cache, step);
    }

    /// <summary>hn [B, S] = each sorted row's h after its own last step: its row of y at step length − 1 (step 0 in reverse).</summary>
    private void FinalStates(PackedBatch batch, ReadOnlySpan<float> y, Span<float> hn)
    {
        int S = cell.StateSize;
        for (int b = 0; b < batch.B; b++)
        {
            int t = cell.Reverse ? 0 : batch.Lengths[b] - 1;
            y.Slice((batch.Offsets[t] + b) * S, S).CopyTo(hn.Slice(b * S, S));
        }
    }

    /// <summary>Whether the state link leaving step <paramref name="t"/> toward earlier-processed steps is cut by
    /// truncation: forward direction at t = truncateBefore, reverse direction at t = truncateBefore - 1.</summary>
    private bool IsCut(int t) =>
        truncateBefore > 0 && (cell.Reverse ? t == truncateBefore - 1 : t == truncateBefore);

    /// <summary>Rows of the backward state whose gradient crosses the cut at step t (see <see cref="IsCut"/>).</summary>
    private int CutRows(PackedBatch batch, int t) =>
        cell.Reverse ? (t + 1 < batch.T ? batch.BatchSizes[t + 1] : 0) : batch.BatchSizes[t];

    /// <summary>
    /// Parts of a step split by hidden units: one per thread, at most one per packed panel of <paramref name="panelWidth"/>
    /// units, and one when the step's product is too small to share.
    /// </summary>
    private static int StepParts(int units, int panelWidth, long multiplyAdds) =>
        multiplyAdds < StepParallelThreshold ? 1 : Math.Max(1, Math.Min(Threads.Count, (units + panelWidth - 1) / panelWidth));

    /// <summary>
    /// Parts of a whole sequence split by batch rows, or 1 to split each step by units instead. Rows win when the batch
    /// gives every thread at least <see cref="MinRowsPerPart"/> rows and either a step cannot be split by units
    /// (<paramref name="unitParts"/> = 1) or the recurrent weight is small enough for every core to read it whole each step
    /// (measured on lstm-small and lstm-2x512: 10–25% faster than the unit split; lstm-1024's 16 MB weight is faster split
    /// by units).
    /// </summary>
    private static int SequenceParts(int batch, int unitParts, long weightBytes)
    {
        int rowParts = Math.Min(Threads.Count, batch / MinRowsPerPart);
        return rowParts > 1 && (unitParts == 1 || weightBytes <= RowSplitWeightBytes) ? rowParts : 1;
    }

    /// <summary>
    /// The hidden units [Start, End) of part <paramref name="index"/> of <paramref name="count"/>: whole panels, so every
    /// gate's column slice of the packed recurrent weight starts on a panel edge (except where H is not a multiple of it).
    /// </summary>
    private static (int Start, int End) PartUnits(int units, int panelWidth, int index, int count)
    {
        int blocks = (units + panelWidth - 1) / panelWidth;
        int b0 = (int)((long)blocks * index / count), b1 = (int)((long)blocks * (index + 1) / count);
        return (Math.Min(units, b0 * panelWidth), Math.Min(units, b1 * panelWidth));
    }
}
