using Baton.Lab;

namespace Baton.Cli.Cli;

/// <summary>
/// What a configuration will allocate, estimated from its sizes before anything is allocated, so that an impossible one
/// is refused with the estimate (see <see cref="CliOptions.CheckMemory"/>) instead of failing, or swapping, part-way.
/// </summary>
internal static class MemoryEstimate
{
    /// <summary>
    /// Checks a training run of an L-layer <paramref name="cell"/> stack of width H over B sequences of T steps, reading
    /// I inputs (an embedding of width I when <paramref name="vocab"/> &gt; 0) and writing <paramref name="outputs"/> per step:
    /// parameters P = V·I + Σ_l G·H·(I_l + H) + 2·G·H·L + H·O + O, held four times (values, gradients, two optimizer moments),
    /// and per token and layer (2·G + 4)·H floats of activations and caches plus 3·O for the logits and their gradient.
    /// </summary>
    public static void CheckTraining(string cell, int layers, int hidden, int input, int vocab, int outputs, int batch, int steps, string what)
    {
        double G = ParameterCount.Gates(cell);
        double H = hidden, L = layers, tokens = (double)batch * steps;
        double parameters = (double)vocab * input + G * H * (input + H) + (L - 1) * G * H * 2 * H + 2 * G * H * L + H * outputs + outputs;
        double floats = 4 * parameters + tokens * L * (2 * G + 4) * H + tokens * (3.0 * outputs + 2 * input);
        double largest = Math.Max(Math.Max(parameters, tokens * G * H), tokens * Math.Max(outputs, input));
        CliOptions.CheckMemory(sizeof(float) * floats, largest, what);
    }

    /// <summary>
    /// Checks a lab experiment that trains or runs B sequences of T steps through a width-H stack (any cell: G ≤ 4 gates
    /// assumed): per token (2·4 + 4)·H floats, and the 4·H·2H weights four times over.
    /// </summary>
    public static void CheckLab(double sequences, double steps, int hidden, string what)
    {
        double H = hidden, tokens = sequences * steps;
        double floats = tokens * 12 * H + 4 * 4 * H * 2 * H;
        CliOptions.CheckMemory(sizeof(float) * floats, Math.Max(tokens * 4 * H, 8 * H * H), what);
    }
}
