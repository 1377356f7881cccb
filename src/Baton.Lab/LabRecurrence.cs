using Baton.Layers;
using Baton.Numerics;

namespace Baton.Lab;

/// <summary>
/// One recurrent layer for the lab's experiments, over any of Baton's cells: a one-layer
/// <see cref="RecurrentStack"/> (rnn, rnn_relu, lstm, gru, and the min cells where the stack has them)
/// or a <see cref="MinGru"/> / <see cref="MinLstm"/> layer directly. Owns its workspace and grows it
/// on demand; the shapes are the stack's: x [T, B, I], h0/hn [B, H], c0/cn [B, H] (LSTM only).
/// </summary>
internal sealed class LabRecurrence
{
    private readonly RecurrentStack? stack;
    private readonly MinRecurrence? min;
    private RecurrentWorkspace? workspace;
    private MinRecurrenceCache? cache;
    private int capacityT, capacityB;

    /// <summary>Registers the layer's tensors under <c>rnn.</c> in <paramref name="parameters"/> (not yet frozen).</summary>
    public LabRecurrence(string cell, int input, int hidden, Parameters parameters)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        var kind = ParameterCount.Kind(cell);
        CellKinds.TryParse(cell, out _, out var nonlinearity);
        ArgumentOutOfRangeException.ThrowIfLessThan(input, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(hidden, 1);
        Cell = cell;
        Input = input;
        Hidden = hidden;
        var options = new RecurrentOptions(kind, input, hidden, Nonlinearity: nonlinearity);
        if (!kind.ReadsPreviousState() && !StackHasMinCells)
            min = kind == CellKind.MinGru ? new MinGru(input, hidden, parameters, "rnn.layers.0.") : new MinLstm(input, hidden, parameters, "rnn.layers.0.");
        else
            stack = new RecurrentStack(options, parameters);
        HasCellState = kind == CellKind.Lstm;
    }

    /// <summary>
    /// False while <see cref="RecurrentStack"/> rejects <see cref="CellKind.MinGru"/> (probed once with a
    /// throw-away parameter block); the lab then drives the min layers itself.
    /// </summary>
    private static bool StackHasMinCells { get; } = Probe();

    private static bool Probe()
    {
        try
        {
            _ = new RecurrentStack(new RecurrentOptions(CellKind.MinGru, 1, 1), new Parameters());
            return true;
        }
        catch (NotSupportedException)
        {
            return false;
        }
    }

    /// <summary>The cell name.</summary>
    public string Cell { get; }

    /// <summary>Input width I.</summary>
    public int Input { get; }

    /// <summary>Hidden width H.</summary>
    public int Hidden { get; }

    /// <summary>True for the LSTM, whose state also has the cell c.</summary>
    public bool HasCellState { get; }

    /// <summary>PyTorch's init U(−1/√H, 1/√H) (the min layers: their own init).</summary>
    public void ResetParameters(Rng rng)
    {
        if (stack is not null)
            stack.ResetParameters(rng);
        else
            min!.ResetParameters(rng);
    }

    /// <summary>Forward over x [T, B, I]; see <see cref="RecurrentStack.Forward"/>. c0 / cn are ignored without a cell state.</summary>
    public void Forward(ReadOnlySpan<float> x, int T, int B, ReadOnlySpan<int> lengths, ReadOnlySpan<float> h0, ReadOnlySpan<float> c0,
        Span<float> y, Span<float> hn, Span<float> cn)
    {
        Ensure(T, B);
        if (stack is not null)
            stack.Forward(workspace!, x, T, B, lengths, h0, HasCellState ? c0 : [], y, hn, HasCellState ? cn : []);
        else
            min!.Forward(cache!, x, T, B, lengths, h0, y, hn);
    }

    /// <summary>Backward of the last Forward: accumulates weight gradients; dh0 / dc0 overwritten (empty = skip).</summary>
    public void Backward(ReadOnlySpan<float> dy, ReadOnlySpan<float> dhn, ReadOnlySpan<float> dcn, Span<float> dh0, Span<float> dc0)
    {
        if (stack is not null)
            stack.Backward(workspace!, dy, dhn, HasCellState ? dcn : [], [], dh0, HasCellState ? dc0 : []);
        else
            min!.Backward(cache!, dy, dhn, [], dh0);
    }

    private void Ensure(int T, int B)
    {
        if (T <= capacityT && B <= capacityB)
            return;
        capacityT = Math.Max(T, capacityT);
        capacityB = Math.Max(B, capacityB);
        if (stack is not null)
            workspace = stack.CreateWorkspace(capacityT, capacityB);
        else
            cache = min!.CreateCache(capacityT, capacityB);
    }
}
