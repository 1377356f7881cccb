namespace Baton.Training;

/// <summary>Settings of a <see cref="Trainer"/> run (stored in checkpoints, so a resumed run continues with the same ones).</summary>
internal sealed record TrainerOptions
{
    /// <summary>Seed of the one <see cref="Numerics.Rng"/> used for initialisation and dropout: the same seed gives the same run.</summary>
    public ulong Seed { get; init; } = 1;

    /// <summary>Number of optimizer steps of the whole run.</summary>
    public long MaxSteps { get; init; } = 1000;

    /// <summary>Optimizer and its hyper-parameters.</summary>
    public OptimizerOptions Optimizer { get; init; } = new();

    /// <summary>Learning-rate schedule.</summary>
    public ScheduleOptions Schedule { get; init; } = new();

    /// <summary>Clip the global gradient norm to this value (0 = off), as torch.nn.utils.clip_grad_norm_.</summary>
    public double ClipNorm { get; init; } = 5;

    /// <summary>Clamp every gradient to ±this value (0 = off), applied before norm clipping.</summary>
    public float ClipValue { get; init; }

    /// <summary>Regression loss for forecast: <c>mse</c>, <c>mae</c> or <c>huber</c>.</summary>
    public string RegressionLoss { get; init; } = "mse";

    /// <summary>
    /// Per-class loss weights for classify (null = unweighted): the loss is then <see cref="Losses.WeightedCrossEntropy"/>,
    /// the mean over sequences of w[label] · cross-entropy.
    /// </summary>
    public float[]? ClassWeights { get; init; }

    /// <summary>Huber δ.</summary>
    public float HuberDelta { get; init; } = 1f;

    /// <summary>Validate every this many steps (0 = never; the data must have validation batches).</summary>
    public int EvalEvery { get; init; }

    /// <summary>Stop after this many validations in a row without a new best (0 = never).</summary>
    public int Patience { get; init; }

    /// <summary>Append the mean training loss to the history every this many steps.</summary>
    public int HistoryEvery { get; init; } = 10;

    /// <summary>Write a checkpoint every this many steps (0 = only at the end); needs <see cref="CheckpointPath"/>.</summary>
    public int CheckpointEvery { get; init; }

    /// <summary>Checkpoint file (rewritten atomically), or null for none.</summary>
    public string? CheckpointPath { get; init; }

    /// <summary>Model file written at each new best validation loss, or null.</summary>
    public string? BestModelPath { get; init; }

    /// <summary>
    /// Keep a copy of the weights at each new best validation loss (saved in checkpoints) and put it back into the model
    /// when the run completes or stops early (not when it is cancelled or diverges).
    /// </summary>
    public bool RestoreBestWeights { get; init; }

    /// <summary>Initialise the parameters from the seed when a run starts (false: keep the model's current weights).</summary>
    public bool InitializeParameters { get; init; } = true;
}
