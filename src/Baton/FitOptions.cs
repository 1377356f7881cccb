namespace Baton;

/// <summary>
/// Settings of <see cref="RecurrentModel.Fit"/>. An epoch visits every training sequence once, in a fresh order drawn from
/// <see cref="Seed"/> and the epoch number, <see cref="BatchSize"/> sequences per optimizer step (the last batch of an
/// epoch may be smaller). Each property checks its value when set and throws <see cref="ArgumentOutOfRangeException"/> naming itself.
/// </summary>
public sealed record FitOptions
{
    /// <summary>Number of epochs (default 10; at least 1). Ignored when <see cref="Steps"/> is set.</summary>
    public int Epochs
    {
        get;
        init
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, 1, nameof(Epochs));
            field = value;
        }
    } = 10;

    /// <summary>Total optimizer steps instead of <see cref="Epochs"/> (null = epochs × batches per epoch).</summary>
    public long? Steps
    {
        get;
        init
        {
            if (value is < 1)
                throw new ArgumentOutOfRangeException(nameof(Steps), $"must be at least 1, got {value}.");
            field = value;
        }
    }

    /// <summary>Sequences per optimizer step B (default 32; at least 1). Shorter sequences are padded and masked, never truncated.</summary>
    public int BatchSize
    {
        get;
        init
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, 1, nameof(BatchSize));
            field = value;
        }
    } = 32;

    /// <summary>The optimizer (default <see cref="OptimizerKind.Adam"/>).</summary>
    public OptimizerKind Optimizer
    {
        get;
        init
        {
            if (!Enum.IsDefined(value))
                throw new ArgumentOutOfRangeException(nameof(Optimizer), $"unknown optimizer {(int)value}.");
            field = value;
        }
    } = OptimizerKind.Adam;

    /// <summary>Learning rate η, constant over the run (default 1e-3; positive).</summary>
    public double LearningRate
    {
        get;
        init
        {
            if (!(value > 0) || !double.IsFinite(value))
                throw new ArgumentOutOfRangeException(nameof(LearningRate), $"must be positive and finite, got {value}.");
            field = value;
        }
    } = 1e-3;

    /// <summary>Weight decay λ (see <see cref="OptimizerKind"/>); null = PyTorch's default, 0 (0.01 for AdamW).</summary>
    public double? WeightDecay
    {
        get;
        init
        {
            if (value is not null && !(value >= 0))
                throw new ArgumentOutOfRangeException(nameof(WeightDecay), $"must be at least 0, got {value}.");
            field = value;
        }
    }

    /// <summary>
    /// Clip the global gradient norm: when ‖g‖₂ over all parameters exceeds c, g ← g · c / (‖g‖₂ + 1e-6), as
    /// <c>torch.nn.utils.clip_grad_norm_</c> (default 5; 0 = off).
    /// </summary>
    public double ClipNorm
    {
        get;
        init
        {
            if (!(value >= 0))
                throw new ArgumentOutOfRangeException(nameof(ClipNorm), $"must be at least 0, got {value}.");
            field = value;
        }
    } = 5;

    /// <summary>The loss of the regression tasks (default <see cref="RegressionLoss.MeanSquaredError"/>).</summary>
    public RegressionLoss Loss
    {
        get;
        init
        {
            if (!Enum.IsDefined(value))
                throw new ArgumentOutOfRangeException(nameof(Loss), $"unknown loss {(int)value}.");
            field = value;
        }
    } = RegressionLoss.MeanSquaredError;

    /// <summary>δ of <see cref="RegressionLoss.Huber"/> (default 1; positive).</summary>
    public float HuberDelta
    {
        get;
        init
        {
            if (!(value > 0))
                throw new ArgumentOutOfRangeException(nameof(HuberDelta), $"must be positive, got {value}.");
            field = value;
        }
    } = 1f;

    /// <summary>Data evaluated at the end of every epoch (its loss is <see cref="FitProgress.ValidationLoss"/>); null = none.</summary>
    public SequenceDataset? Validation { get; init; }

    /// <summary>
    /// Early stopping: stop after this many epochs in a row without a validation loss below the best so far (0 = never;
    /// needs <see cref="Validation"/>).
    /// </summary>
    public int Patience
    {
        get;
        init
        {
            ArgumentOutOfRangeException.ThrowIfNegative(value, nameof(Patience));
            field = value;
        }
    }

    /// <summary>
    /// With <see cref="Validation"/>: when the run completes or stops early, put back the weights of the epoch with the lowest
    /// validation loss (default true). A cancelled or diverged run keeps its last weights.
    /// </summary>
    public bool RestoreBestWeights { get; init; } = true;

    /// <summary>
    /// <see cref="ModelTask.Classification"/>: a loss weight w_c &gt; 0 per class, so that rare classes count as much as
    /// common ones: loss = (1/B) Σ_r w[y_r] · (logsumexp(x_r) − x_r[y_r]) over the B sequences of a batch. Null = every
    /// weight 1. <see cref="SequenceDataset.BalancedClassWeights"/> gives w_c = N / (C · n_c).
    /// </summary>
    public IReadOnlyList<float>? ClassWeights { get; init; }

    /// <summary>Called after every optimizer step, on the thread that runs <see cref="RecurrentModel.Fit"/> unless the <see cref="IProgress{T}"/> posts elsewhere (as <see cref="Progress{T}"/> does).</summary>
    public IProgress<FitProgress>? Progress { get; init; }

    /// <summary>
    /// A training checkpoint (weights, optimizer state, random state, data position), rewritten atomically at the end of
    /// every epoch and when the run stops; null = none.
    /// </summary>
    public string? CheckpointPath { get; init; }

    /// <summary>
    /// Continue the run saved in <see cref="CheckpointPath"/> when that file exists (else start afresh): with the same data
    /// and options, the resumed run ends with the same weights, bit for bit, as one never interrupted.
    /// </summary>
    public bool Resume { get; init; }

    /// <summary>Seed of the batch order and of dropout: the same seed, data and options give the same run (default 1).</summary>
    public ulong Seed { get; init; } = 1;

    /// <summary>
    /// The device that computes the training steps (see <see cref="TrainingDevice"/>; the caller keeps and disposes it); null = the
    /// CPU engine (default). A device trains unidirectional LSTM, GRU and Elman models without dropout or projections, with
    /// <see cref="OptimizerKind.Adam"/>, <see cref="OptimizerKind.AdamW"/> or <see cref="OptimizerKind.Sgd"/>, for
    /// <see cref="ModelTask.Classification"/>, <see cref="ModelTask.Regression"/> with <see cref="RegressionLoss.MeanSquaredError"/>,
    /// and <see cref="ModelTask.LanguageModel"/> over sequences of one length; <see cref="RecurrentModel.Fit"/> throws
    /// <see cref="NotSupportedException"/>, naming the part, for anything else.
    /// </summary>
    public TrainingDevice? Device { get; init; }
}
