namespace Baton.Layers;

/// <summary>
/// The cells by name, as model files, PyTorch state dicts and the command line spell them, and the one table of what a
/// cell's weights hold. Every list of cell names and every gate count in Baton reads from here.
/// </summary>
internal static class CellKinds
{
    /// <summary>The cell names Baton accepts: lstm, gru, rnn (Elman tanh), rnn_relu (Elman relu), mingru, minlstm.</summary>
    public static IReadOnlyList<string> Names { get; } = ["lstm", "gru", "rnn", "rnn_relu", "mingru", "minlstm"];

    /// <summary>The accepted names joined for a message: "lstm, gru, rnn, rnn_relu, mingru, minlstm".</summary>
    public static string NameList => string.Join(", ", Names);

    /// <summary>
    /// The kind and Elman nonlinearity of the cell called <paramref name="name"/> (rnn_tanh is read as rnn, PyTorch's
    /// <c>nonlinearity="tanh"</c>); false for any other name, including null.
    /// </summary>
    public static bool TryParse(string? name, out CellKind kind, out Nonlinearity nonlinearity)
    {
        nonlinearity = name == "rnn_relu" ? Nonlinearity.Relu : Nonlinearity.Tanh;
        (bool known, kind) = name switch
        {
            "lstm" => (true, CellKind.Lstm),
            "gru" => (true, CellKind.Gru),
            "rnn" or "rnn_tanh" or "rnn_relu" => (true, CellKind.Rnn),
            "mingru" => (true, CellKind.MinGru),
            "minlstm" => (true, CellKind.MinLstm),
            _ => (false, default),
        };
        return known;
    }

    /// <summary>The name of <paramref name="kind"/> (with <paramref name="nonlinearity"/> for the Elman cell): the inverse of <see cref="TryParse"/>.</summary>
    public static string Name(CellKind kind, Nonlinearity nonlinearity = Nonlinearity.Tanh) => kind switch
    {
        CellKind.Lstm => "lstm",
        CellKind.Gru => "gru",
        CellKind.Rnn => nonlinearity == Nonlinearity.Relu ? "rnn_relu" : "rnn",
        CellKind.MinGru => "mingru",
        CellKind.MinLstm => "minlstm",
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, null),
    };

    /// <summary>
    /// Gate blocks G stacked in the cell's weight matrices (<c>weight_ih</c> is [G·H, I]): Elman 1, LSTM 4 (i, f, g, o),
    /// GRU 3 (r, z, n), minGRU 2 (z, h̃), minLSTM 3 (f, i, h̃).
    /// </summary>
    public static int Gates(this CellKind kind) => kind switch
    {
        CellKind.Rnn => 1,
        CellKind.Lstm => 4,
        CellKind.Gru => 3,
        CellKind.MinGru => 2,
        CellKind.MinLstm => 3,
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, null),
    };

    /// <summary>True for the cells whose gates read h_{t−1} and so carry <c>weight_hh</c>: all but minGRU and minLSTM.</summary>
    public static bool ReadsPreviousState(this CellKind kind) => kind is not (CellKind.MinGru or CellKind.MinLstm);

    /// <summary>
    /// Parameters of one layer and direction reading <paramref name="layerInput"/> features: G·H·(I + S) + 2·G·H + P·H for
    /// the cells that read h_{t−1} (S = P when an LSTM projection P &gt; 0, else H), G·H·I + G·H for minGRU and minLSTM.
    /// </summary>
    public static long ParametersPerLayerDirection(this CellKind kind, long layerInput, long hidden, long proj = 0)
    {
        long g = kind.Gates(), state = proj > 0 ? proj : hidden;
        return kind.ReadsPreviousState()
            ? g * hidden * (layerInput + state) + 2 * g * hidden + proj * hidden
            : g * hidden * layerInput + g * hidden;
    }

    /// <summary>
    /// Parameters of a stack of <paramref name="layers"/> layers in <paramref name="directions"/> directions: layer 0 reads
    /// <paramref name="input"/> features, every later layer the S·D outputs of the one below.
    /// </summary>
    public static long StackParameters(this CellKind kind, long input, long hidden, int layers, int directions, long proj = 0)
    {
        long state = proj > 0 ? proj : hidden, total = 0;
        for (int k = 0; k < layers; k++)
            total += directions * kind.ParametersPerLayerDirection(k == 0 ? input : state * directions, hidden, proj);
        return total;
    }
}
