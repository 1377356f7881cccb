using Baton.Layers;

namespace Baton.Lab;

/// <summary>
/// Closed-form parameter counts of the recurrent stacks Baton builds (PyTorch's <c>nn.RNN</c>,
/// <c>nn.LSTM</c>, <c>nn.GRU</c> layouts and names) and, for comparison, of the networks the
/// article sets beside them: a fully connected layer over a window of T steps, a 1-D convolution
/// and a Transformer encoder layer (PyTorch's <c>nn.TransformerEncoderLayer</c>).
/// </summary>
/// <remarks>
/// Per layer k and direction, a gated cell with G gates has
/// <c>weight_ih_l{k}</c> [G·H, I_k], <c>weight_hh_l{k}</c> [G·H, S], <c>bias_ih_l{k}</c> [G·H],
/// <c>bias_hh_l{k}</c> [G·H], where S = P with an LSTM projection (plus <c>weight_hr_l{k}</c> [P, H])
/// and S = H otherwise; I_0 = I and I_k = S·D for k &gt; 0 (D = 2 when bidirectional).
/// minGRU and minLSTM (Feng et al. 2024) read only x_t, so they have the input weights and one bias
/// per gate and no <c>weight_hh</c>: G·H·I_k + G·H.
/// </remarks>
internal static class ParameterCount
{
    /// <summary>The kind of the cell called <paramref name="cell"/> (one of <see cref="CellKinds.Names"/>); throws <see cref="ArgumentException"/> otherwise.</summary>
    public static CellKind Kind(string cell) => CellKinds.TryParse(cell, out var kind, out _)
        ? kind
        : throw new ArgumentException($"Unknown cell '{cell}'; expected one of {CellKinds.NameList}.", nameof(cell));

    /// <summary>Gate blocks G of the cell called <paramref name="cell"/> (<see cref="CellKinds.Gates"/>).</summary>
    public static int Gates(string cell) => Kind(cell).Gates();

    /// <summary>True for the cells whose gates read h_{t-1} (and so carry a <c>weight_hh</c>): <see cref="CellKinds.ReadsPreviousState"/>.</summary>
    public static bool IsRecurrentInGates(string cell) => Kind(cell).ReadsPreviousState();

    /// <summary>
    /// The tensors of a recurrent stack in PyTorch's registration order (layer by layer, the
    /// reverse direction after the forward one), named under <paramref name="prefix"/>.
    /// </summary>
    public static IReadOnlyList<TensorCount> Recurrent(RecurrentShape shape, string prefix = "rnn.")
    {
        ArgumentNullException.ThrowIfNull(shape);
        shape.Validate();
        int G = Gates(shape.Cell);
        int H = shape.Hidden;
        int S = shape.StateSize;
        int D = shape.Directions;
        bool recurrentGates = IsRecurrentInGates(shape.Cell);
        var tensors = new List<TensorCount>();
        for (int k = 0; k < shape.Layers; k++)
        {
            int I = k == 0 ? shape.Input : S * D;
            for (int d = 0; d < D; d++)
            {
                if (!recurrentGates)
                {
                    // minGRU / minLSTM: one Linear to G·H named after the reference implementation (lucidrains/minGRU-pytorch).
                    string module = $"{prefix}layers{(d == 1 ? "_reverse" : "")}.{k}.{(shape.Cell == "mingru" ? "to_hidden_and_gate" : "to_hidden_and_f_i_gate")}";
                    tensors.Add(new TensorCount($"{module}.weight", [G * H, I]));
                    tensors.Add(new TensorCount($"{module}.bias", [G * H]));
                    continue;
                }
                string suffix = $"_l{k}" + (d == 1 ? "_reverse" : "");
                tensors.Add(new TensorCount($"{prefix}weight_ih{suffix}", [G * H, I]));
                tensors.Add(new TensorCount($"{prefix}weight_hh{suffix}", [G * H, S]));
                tensors.Add(new TensorCount($"{prefix}bias_ih{suffix}", [G * H]));
                tensors.Add(new TensorCount($"{prefix}bias_hh{suffix}", [G * H]));
                if (shape.Proj > 0)
                    tensors.Add(new TensorCount($"{prefix}weight_hr{suffix}", [shape.Proj, H]));
            }
        }
        return tensors;
    }

    /// <summary>
    /// The tensors of a language model: <c>embedding.weight</c> [V, I], the recurrent stack, and
    /// <c>head.weight</c> [V, S·D], <c>head.bias</c> [V] (DESIGN.md's module). With
    /// <paramref name="vocab"/> = 0 only the recurrent stack.
    /// </summary>
    public static IReadOnlyList<TensorCount> Model(RecurrentShape shape, int vocab)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(vocab);
        var recurrent = Recurrent(shape);
        if (vocab == 0)
            return recurrent;
        var tensors = new List<TensorCount> { new("embedding.weight", [vocab, shape.Input]) };
        tensors.AddRange(recurrent);
        tensors.Add(new TensorCount("head.weight", [vocab, shape.StateSize * shape.Directions]));
        tensors.Add(new TensorCount("head.bias", [vocab]));
        return tensors;
    }

    /// <summary>Sum of <see cref="TensorCount.Count"/>.</summary>
    public static long Total(IEnumerable<TensorCount> tensors) => tensors.Sum(t => t.Count);

    /// <summary>
    /// Parameters of one layer and direction in closed form: G·H·(I_k + S) + 2·G·H (+ P·H with a
    /// projection); G·H·I_k + G·H for minGRU / minLSTM.
    /// </summary>
    public static long PerLayerDirection(string cell, int layerInput, int hidden, int proj = 0) =>
        Kind(cell).ParametersPerLayerDirection(layerInput, hidden, proj);

    /// <summary>A fully connected layer over a window of T steps of I features (<c>nn.Linear(T·I, H)</c>): T·I·H + H. Grows linearly with T.</summary>
    public static long FullyConnected(int window, int input, int hidden)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(window, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(input, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(hidden, 1);
        return (long)window * input * hidden + hidden;
    }

    /// <summary>A 1-D convolution <c>nn.Conv1d(I, H, k)</c>: H·I·k + H, whatever the sequence length.</summary>
    public static long Convolution(int input, int hidden, int kernel)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(input, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(hidden, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(kernel, 1);
        return (long)hidden * input * kernel + hidden;
    }

    /// <summary>
    /// Stacked stride-1, undilated convolutions of kernel k needed for the last output to see all T
    /// steps: ⌈(T − 1)/(k − 1)⌉ (at least 1). Each extra layer is an <c>nn.Conv1d(H, H, k)</c>.
    /// </summary>
    public static int ConvolutionLayersToCover(int window, int kernel)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(window, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(kernel, 2);
        return Math.Max(1, (window - 1 + kernel - 2) / (kernel - 1));
    }

    /// <summary>Parameters of the convolution stack that covers a window of T steps: first layer I→H, the rest H→H.</summary>
    public static long ConvolutionStack(int window, int input, int hidden, int kernel)
    {
        int layers = ConvolutionLayersToCover(window, kernel);
        return Convolution(input, hidden, kernel) + (layers - 1) * Convolution(hidden, hidden, kernel);
    }

    /// <summary>
    /// <c>nn.TransformerEncoderLayer(d, nhead, F)</c>: attention in/out projections 4·d² + 4·d, feed-forward
    /// 2·d·F + F + d, two layer norms 4·d. The number of heads does not change the count; it must divide d.
    /// Independent of T; a learned position table would add T·d.
    /// </summary>
    public static long TransformerEncoderLayer(int dModel, int feedForward)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(dModel, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(feedForward, 1);
        long d = dModel, f = feedForward;
        return 4 * d * d + 4 * d + 2 * d * f + f + d + 4 * d;
    }
    /// <summary>
    /// The closed formula with the sizes written in, one term per distinct layer kind, e.g.
    /// <c>4·64·(1+64) + 2·4·64 = 17152</c> for a one-layer LSTM with I = 1, H = 64.
    /// </summary>
    public static string Formula(RecurrentShape shape)
    {
        ArgumentNullException.ThrowIfNull(shape);
        shape.Validate();
        int G = Gates(shape.Cell), H = shape.Hidden, S = shape.StateSize, D = shape.Directions;
        string Term(int input)
        {
            string core = IsRecurrentInGates(shape.Cell)
                ? $"{G}·{H}·({input}+{S}) + 2·{G}·{H}" + (shape.Proj > 0 ? $" + {shape.Proj}·{H}" : "")
                : $"{G}·{H}·{input} + {G}·{H}";
            return D == 2 ? $"2·[{core}]" : core;
        }
        var parts = new List<string> { Term(shape.Input) };
        if (shape.Layers > 1)
            parts.Add(shape.Layers == 2 ? Term(S * D) : $"{shape.Layers - 1}·{(D == 2 ? "" : "[")}{Term(S * D)}{(D == 2 ? "" : "]")}");
        return $"{string.Join(" + ", parts)} = {Total(Recurrent(shape))}";
    }
}
