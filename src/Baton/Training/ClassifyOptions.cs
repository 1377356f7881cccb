namespace Baton.Training;

/// <summary>Settings of a sequence-classification run. The defaults are those of <c>baton classify train</c>.</summary>
internal sealed record ClassifyOptions
{
    /// <summary>Recurrent cell: lstm, gru, rnn, mingru or minlstm.</summary>
    public string Cell { get; init; } = "gru";

    /// <summary>Hidden size.</summary>
    public int Hidden { get; init; } = 64;

    /// <summary>Stacked layers.</summary>
    public int Layers { get; init; } = 1;

    /// <summary>Reads each sequence both ways (the head sees both final states; early predictions then recompute every prefix).</summary>
    public bool Bidirectional { get; init; }

    /// <summary>Passes over the training sequences (at most: the weights of the best validation loss are kept).</summary>
    public int Epochs { get; init; } = 30;

    /// <summary>Stops training after this many minutes (0 = no limit); the best weights so far are kept.</summary>
    public double Minutes { get; init; }

    /// <summary>Sequences per batch.</summary>
    public int BatchSize { get; init; } = 32;

    /// <summary>Adam learning rate at the start of the cosine schedule.</summary>
    public double LearningRate { get; init; } = 3e-3;

    /// <summary>Weight each class's loss by N / (C · n_c) (scikit-learn's "balanced"), so rare classes count as much as common ones.</summary>
    public bool BalanceClasses { get; init; } = true;

    /// <summary>Seed for the split, initialisation and batch order.</summary>
    public ulong Seed { get; init; } = 1;
}
