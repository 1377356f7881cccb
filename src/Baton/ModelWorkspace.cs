using Baton.Models;

namespace Baton;

/// <summary>
/// The buffers of <see cref="RecurrentModel.Forward(ModelWorkspace, ReadOnlySpan{float}, int, int, ReadOnlySpan{int})"/>,
/// the advanced time-major layer: sized once for up to <see cref="MaxSteps"/> × <see cref="MaxBatch"/>, reused by every pass,
/// so a pass allocates nothing. The span a pass returns is a view of this workspace: it stays valid until the next pass on
/// the same workspace overwrites it. A workspace belongs to one model and one thread at a time.
/// </summary>
public sealed class ModelWorkspace
{
    internal ModelWorkspace(SequenceModel model, SequenceWorkspace workspace)
    {
        Model = model;
        Inner = workspace;
    }

    internal SequenceModel Model { get; }

    internal SequenceWorkspace Inner { get; }

    /// <summary>Largest number of steps T of a pass.</summary>
    public int MaxSteps => Inner.MaxT;

    /// <summary>Largest number of sequences B of a pass.</summary>
    public int MaxBatch => Inner.MaxB;
}
