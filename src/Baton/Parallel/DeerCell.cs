using Baton.Layers;

namespace Baton.Parallel;

/// <summary>
/// The trained one-layer, one-direction GRU or LSTM that DEER evaluates, read once from PyTorch-named tensors
/// (<c>{prefix}weight_ih_l0</c>, <c>weight_hh_l0</c>, <c>bias_ih_l0</c>, <c>bias_hh_l0</c>, copied) and checked;
/// shared by <see cref="Deer"/> and the accelerator's form. State s = h (D = H) or [h, c] (D = 2H).
/// </summary>
internal sealed class DeerCell
{
    public DeerCell(CellKind cell, int inputSize, int hiddenSize, Parameters parameters, string prefix)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        if (cell is not (CellKind.Gru or CellKind.Lstm))
            throw new ArgumentOutOfRangeException(nameof(cell), "DEER evaluates GRU and LSTM cells.");
        ArgumentOutOfRangeException.ThrowIfLessThan(inputSize, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(hiddenSize, 1);
        Kind = cell;
        I = inputSize;
        H = hiddenSize;
        G = cell == CellKind.Gru ? 3 : 4;
        D = cell == CellKind.Gru ? H : 2 * H;
        WeightIh = Read(parameters, $"{prefix}weight_ih_l0", G * H * I);
        WeightHh = Read(parameters, $"{prefix}weight_hh_l0", G * H * H);
        BiasIh = Read(parameters, $"{prefix}bias_ih_l0", G * H);
        BiasHh = Read(parameters, $"{prefix}bias_hh_l0", G * H);
    }

    public CellKind Kind { get; }

    public int I { get; }

    public int H { get; }

    /// <summary>Gates: 3 (GRU) or 4 (LSTM).</summary>
    public int G { get; }

    /// <summary>State width: H or 2H.</summary>
    public int D { get; }

    public float[] WeightIh { get; }   // [G·H, I]

    public float[] WeightHh { get; }   // [G·H, H]

    public float[] BiasIh { get; }     // [G·H]

    public float[] BiasHh { get; }     // [G·H]

    /// <summary>Returns <paramref name="stack"/> when DEER can evaluate it: one layer, one direction, no projection.</summary>
    public static RecurrentStack Evaluable(RecurrentStack stack)
    {
        ArgumentNullException.ThrowIfNull(stack);
        if (stack.Options.Layers != 1 || stack.Directions != 1 || stack.Options.ProjSize != 0)
            throw new ArgumentException("DEER evaluates one layer, one direction, no projection.", nameof(stack));
        return stack;
    }

    private static float[] Read(Parameters p, string name, int length)
    {
        var values = p.Value(p[name]);
        if (values.Length != length)
            throw new ArgumentException($"'{name}' has {values.Length} values; expected {length}.", nameof(p));
        return values.ToArray();
    }

    /// <summary>Checks h0, c0 (empty or [B, H]; c0 for an LSTM only) and writes start [B, D] = [h0 | c0] per row (zero where empty).</summary>
    public void Start(int B, ReadOnlySpan<float> h0, ReadOnlySpan<float> c0, Span<float> start)
    {
        if (!h0.IsEmpty && h0.Length != B * H)
            throw new ArgumentException($"h0 must be empty or [B, H] = {B * H}.", nameof(h0));
        if (!c0.IsEmpty && (Kind != CellKind.Lstm || c0.Length != B * H))
            throw new ArgumentException($"c0 must be empty, or [B, H] = {B * H} for an LSTM.", nameof(c0));
        start = start[..(B * D)];
        start.Clear();
        for (int b = 0; b < B; b++)
        {
            if (!h0.IsEmpty)
                h0.Slice(b * H, H).CopyTo(start.Slice(b * D, H));
            if (!c0.IsEmpty)
                c0.Slice(b * H, H).CopyTo(start.Slice(b * D + H, H));
        }
    }
}

/// <summary>
/// The damped variant's trust region (after Gonzalez et al. 2024): a Newton step of max-abs size s is scaled by
/// α = min(1, ρ / s); an accepted step (lower residual) sets ρ = max(ρ, 2αs), a rejected one ρ = αs / 4.
/// </summary>
internal struct TrustRegion(float radius)
{
    private float radius = radius;

    /// <summary>α for a step of max-abs size <paramref name="size"/>.</summary>
    public readonly float Scale(float size) => size > radius ? radius / size : 1f;

    /// <summary>Whether the scaled step is taken (its residual is lower, or the current one is not finite); updates ρ.</summary>
    public bool Accept(float trialResidual, float residual, float alpha, float size)
    {
        if (trialResidual < residual || !float.IsFinite(residual))
        {
            radius = Math.Max(radius, 2f * alpha * size);
            return true;
        }
        radius = alpha * size / 4f;
        return false;
    }

    /// <summary>True once ρ &lt; <see cref="Deer.MinTrustRadius"/>: the residual is at its rounding floor.</summary>
    public readonly bool Exhausted => radius < Deer.MinTrustRadius;
}
