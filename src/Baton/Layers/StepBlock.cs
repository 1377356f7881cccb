namespace Baton.Layers;

/// <summary>
/// One block of one time step, the unit of work of <see cref="RecurrentCell.ForwardBlock"/> and
/// <see cref="RecurrentCell.BackwardBlock"/>: sorted rows [R0, R1) × hidden units [U0, U0 + N) of the step whose sorted
/// row 0 is packed row O. <see cref="StepScheduler"/> fills it: a row-split part gets its rows × every unit, a unit-split
/// part every running row × its units, a whole step or a streaming step every row × every unit.
/// Buffers indexed "by sorted row" are [B, ·] with row b at b · width; those indexed "by packed row" are [N, ·] with
/// step row b at (O + b) · width.
/// </summary>
internal unsafe struct StepBlock
{
    /// <summary>Packed row of the step's sorted row 0 (0 for a streaming step, whose buffers hold only its B rows).</summary>
    public int O;

    /// <summary>The block's sorted rows [R0, R1) of this step; R1 ≤ R0 when the block has none (a backward block that only
    /// finishes the previous step's product).</summary>
    public int R0, R1;

    /// <summary>The block's hidden units [U0, U0 + N) of the cell (LSTM: of c; others: of h).</summary>
    public int U0, N;

    /// <summary>True when the block is the whole step on the calling thread: its products may then use the worker pool.</summary>
    public bool Whole;

    /// <summary>Forward: y [N, S] by packed row, where h_t goes. Backward: dy [N, S] by packed row.</summary>
    public float* Out;

    /// <summary>Forward: h_{t−1} [B, S] by sorted row (h0 for a row's first step).</summary>
    public float* HIn;

    /// <summary>Forward: [B, S] by sorted row, where h_t goes besides y. It may be <see cref="HIn"/> itself when the block
    /// holds every unit (a step's product reads the block's rows of h_{t−1} before its cell writes them).</summary>
    public float* HOut;

    /// <summary>Forward: the running cell state [B, CellSize] by sorted row, updated in place (null when the cell has none).</summary>
    public float* C;

    /// <summary>Backward: where this step's rows find h_{t−1} and c_{t−1} (<see cref="RecurrentCell.PreviousStep"/>).</summary>
    public (int Offset, int Rows) Before;

    /// <summary>Backward: the step visited just before this one (one step later in the layer's direction): its packed row
    /// 0, and its rows [R0, PrevR1) whose gradient of h_t its recurrent product gives (PrevR1 ≤ R0: none).</summary>
    public int PrevO, PrevR1;

    /// <summary>Backward: rows [R0, PrevCut) of that product are detached by truncation (their gradient of h_t and c_t is zero).</summary>
    public int PrevCut;
}
