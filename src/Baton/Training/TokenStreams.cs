using Baton.Data;

namespace Baton.Training;

/// <summary>
/// char-rnn batching for language models: the corpus is cut into B contiguous streams of L = ⌊(N − 1)/B⌋ tokens;
/// batch c of an epoch holds, for every stream b, inputs corpus[b·L + c·T + t] and targets corpus[b·L + c·T + t + 1],
/// t &lt; T, so that each batch continues the previous one and the hidden state is carried (detached) between them.
/// An epoch has ⌊L / T⌋ batches (the tail is dropped); a new epoch restarts from the zero state. Validation data is
/// cut the same way. Position = [epoch, batch].
/// </summary>
internal sealed class TokenStreams : ITrainingData
{
    private readonly TokenRange train;
    private readonly TokenRange validation;
    private readonly long streamLength;
    private readonly long validationStreamLength;
    private long epoch;
    private long chunk;

    /// <summary>Cuts <paramref name="train"/> (and optional <paramref name="validation"/>) into <paramref name="batchSize"/> streams read <paramref name="seqLength"/> tokens at a time.</summary>
    public TokenStreams(int[] train, int[]? validation, int batchSize, int seqLength)
        : this(TokenRange.Of(train ?? throw new ArgumentNullException(nameof(train))), validation is null ? null : TokenRange.Of(validation), batchSize, seqLength)
    {
    }

    /// <summary>Cuts <paramref name="train"/> (and optional <paramref name="validation"/>), read in place, into <paramref name="batchSize"/> streams read <paramref name="seqLength"/> tokens at a time.</summary>
    public TokenStreams(TokenRange train, TokenRange? validation, int batchSize, int seqLength)
    {
        ArgumentNullException.ThrowIfNull(train.Store, nameof(train));
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1, nameof(batchSize));
        ArgumentOutOfRangeException.ThrowIfLessThan(seqLength, 1, nameof(seqLength));
        this.train = train;
        this.validation = validation ?? new TokenRange(train.Store, 0, 0);
        MaxB = batchSize;
        MaxT = seqLength;
        streamLength = (train.Length - 1) / batchSize;
        if (streamLength < seqLength)
            throw new ArgumentException(
                $"The training text has {train.Length} tokens: too short for {batchSize} streams of at least {seqLength} + 1 tokens.", nameof(train));
        if (streamLength / seqLength > int.MaxValue)
            throw new ArgumentException(
                $"The training text has {train.Length} tokens: more than {int.MaxValue} batches of {batchSize}×{seqLength} per epoch.", nameof(train));
        BatchesPerEpoch = (int)(streamLength / seqLength);
        validationStreamLength = this.validation.Length > 0 ? (this.validation.Length - 1) / batchSize : 0;
        ValidationBatchCount = (int)Math.Min(validationStreamLength / seqLength, int.MaxValue);
        if (this.validation.Length > 0 && ValidationBatchCount == 0)
            throw new ArgumentException(
                $"The validation text has {this.validation.Length} tokens: too short for {batchSize} streams of {seqLength} + 1 tokens.", nameof(validation));
    }

    /// <inheritdoc/>
    public int MaxT { get; }

    /// <inheritdoc/>
    public int MaxB { get; }

    /// <inheritdoc/>
    public int InputSize => 0;

    /// <inheritdoc/>
    public int TargetSize => 0;

    /// <summary>Batches per epoch, ⌊L / T⌋.</summary>
    public int BatchesPerEpoch { get; }

    /// <inheritdoc/>
    public int ValidationBatchCount { get; }

    /// <summary>Tokens per training batch, B·T.</summary>
    public int TokensPerBatch => MaxB * MaxT;

    /// <inheritdoc/>
    public long[] Position
    {
        get => [epoch, chunk];
        set
        {
            ArgumentNullException.ThrowIfNull(value);
            if (value.Length != 2 || value[0] < 0 || value[1] < 0 || value[1] >= BatchesPerEpoch)
                throw new ArgumentException($"Invalid token-stream position [{string.Join(", ", value)}] for {BatchesPerEpoch} batches per epoch.", nameof(value));
            (epoch, chunk) = (value[0], value[1]);
        }
    }

    /// <inheritdoc/>
    public void NextTrain(TrainingBatch batch)
    {
        Fill(batch, train, streamLength, (int)chunk);
        batch.ContinuesState = chunk > 0;
        if (++chunk == BatchesPerEpoch)
        {
            chunk = 0;
            epoch++;
        }
    }

    /// <inheritdoc/>
    public void GetValidation(int index, TrainingBatch batch)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, ValidationBatchCount);
        Fill(batch, validation, validationStreamLength, index);
        batch.ContinuesState = index > 0;
    }

    private void Fill(TrainingBatch batch, TokenRange corpus, long length, int c)
    {
        ArgumentNullException.ThrowIfNull(batch);
        int T = MaxT, B = MaxB;
        if (batch.MaxT < T || batch.MaxB < B)
            throw new ArgumentException("The batch buffers are too small.", nameof(batch));
        batch.T = T;
        batch.B = B;
        batch.HasLengths = false;
        for (int t = 0; t < T; t++)
        {
            for (int b = 0; b < B; b++)
            {
                long at = b * length + (long)c * T + t;
                batch.Tokens[t * B + b] = corpus[at];
                batch.TokenTargets[t * B + b] = corpus[at + 1];
            }
        }
    }
}
