namespace Baton;

/// <summary>
/// The shape of a <see cref="RecurrentModel"/>'s network: input (token embedding, or the features directly) →
/// <see cref="Layers"/> stacked recurrent layers of <see cref="HiddenSize"/> units (each direction when
/// <see cref="Bidirectional"/>) → dropout → a linear head. Each property checks its value when set and throws
/// <see cref="ArgumentOutOfRangeException"/> naming itself.
/// </summary>
public sealed record RecurrentModelOptions
{
    /// <summary>The recurrent cell (default <see cref="RecurrentCell.Lstm"/>).</summary>
    public RecurrentCell Cell
    {
        get;
        init
        {
            if (!Enum.IsDefined(value))
                throw new ArgumentOutOfRangeException(nameof(Cell), $"unknown cell {(int)value}.");
            field = value;
        }
    } = RecurrentCell.Lstm;

    /// <summary>Hidden size H of each layer and direction (default 64; at least 1).</summary>
    public int HiddenSize
    {
        get;
        init
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, 1, nameof(HiddenSize));
            field = value;
        }
    } = 64;

    /// <summary>Number of stacked recurrent layers L (default 1; at least 1).</summary>
    public int Layers
    {
        get;
        init
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, 1, nameof(Layers));
            field = value;
        }
    } = 1;

    /// <summary>
    /// Runs a second, time-reversed stack of layers and concatenates both directions' outputs (2H wide). Not for
    /// <see cref="ModelTask.LanguageModel"/> (it would see the token it predicts) nor for <see cref="RecurrentModel.CreateStream"/>.
    /// </summary>
    public bool Bidirectional { get; init; }

    /// <summary>
    /// Dropout probability p in [0, 1) applied while fitting between recurrent layers and before the head: each value is
    /// kept with probability 1 − p and scaled by 1/(1 − p) (inverted dropout, as <c>nn.Dropout</c>). Default 0.
    /// </summary>
    public float Dropout
    {
        get;
        init
        {
            if (!(value >= 0 && value < 1))
                throw new ArgumentOutOfRangeException(nameof(Dropout), $"must be in [0, 1), got {value}.");
            field = value;
        }
    }

    /// <summary>Width E of the token embedding of token-input models (default 32; at least 1; ignored for feature input).</summary>
    public int EmbeddingSize
    {
        get;
        init
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, 1, nameof(EmbeddingSize));
            field = value;
        }
    } = 32;

    /// <summary>
    /// For the regression tasks and for classification of feature sequences: at its first <see cref="RecurrentModel.Fit"/>
    /// the model records the mean μ and standard deviation σ (population, 1 where 0) of every input feature (and, for
    /// regression, every target) over the training data, and from then on reads x' = (x − μ)/σ (and predicts
    /// y = y'·σ + μ), so that callers pass and receive values in their own units. The statistics are saved in model files.
    /// Default true.
    /// </summary>
    public bool Standardize { get; init; } = true;

    /// <summary>Seed of the initial weights: the same options and seed give the same model, bit for bit (default 1).</summary>
    public ulong Seed { get; init; } = 1;
}
