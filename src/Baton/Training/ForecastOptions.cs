namespace Baton.Training;

/// <summary>Settings of a forecast training run. The defaults are those of <c>baton forecast train</c>.</summary>
internal sealed record ForecastOptions
{
    /// <summary>Recurrent cell: lstm, gru, rnn, mingru or minlstm.</summary>
    public string Cell { get; init; } = "lstm";

    /// <summary>Hidden size.</summary>
    public int Hidden { get; init; } = 64;

    /// <summary>Stacked layers.</summary>
    public int Layers { get; init; } = 1;

    /// <summary>Optimizer steps (at most; the weights of the best validation loss are kept).</summary>
    public long Steps { get; init; } = 800;

    /// <summary>Windows per batch.</summary>
    public int BatchSize { get; init; } = 32;

    /// <summary>Adam learning rate at the start of the cosine schedule.</summary>
    public double LearningRate { get; init; } = 3e-3;

    /// <summary>Validate every this many steps.</summary>
    public int EvalEvery { get; init; } = 50;

    /// <summary>Seed for initialisation and batch order.</summary>
    public ulong Seed { get; init; } = 1;
}
