using Baton.Data;
using System.Text.Json;
using System.Text.Json.Serialization;
using Baton.Layers;

namespace Baton.Models;

/// <summary>
/// Everything needed to rebuild a <see cref="SequenceModel"/>: stored as JSON (snake_case keys) in
/// the safetensors <c>__metadata__["baton.config"]</c> of every model file and checkpoint.
/// </summary>
/// <remarks>
/// Tasks: <c>lm</c> (next token: Embedding(V, E) → stack → head [T, B, V]); <c>forecast</c>
/// (features [T, B, I] → stack → head [B, horizon·targets] from the final state); <c>classify</c>
/// (tokens through an embedding when <see cref="Vocab"/> is set, else features; head [B, classes]
/// from the final state, both directions' final states when bidirectional); <c>classify_steps</c> and
/// <c>forecast_steps</c> (tokens or features → stack → the head at every step, [T, B, OutputSize]: tagging, per-step
/// regression, early classification). The strings ⇄ <see cref="TaskKind"/> map is <see cref="TaskNames"/>.
/// </remarks>
internal sealed record ModelConfig
{
    /// <summary>Format tag written to every file.</summary>
    public const string CurrentFormat = "baton/1";

    /// <summary>Format tag; <see cref="CurrentFormat"/>.</summary>
    public string Format { get; init; } = CurrentFormat;

    /// <summary><c>lm</c>, <c>forecast</c>, <c>classify</c>, <c>classify_steps</c> or <c>forecast_steps</c> (see <see cref="TaskKind"/>).</summary>
    public string Task { get; init; } = "lm";

    // An array, so that the loops below allocate no enumerator: TaskKind is read on every streaming step.
    private static readonly (string Name, TaskKind Kind)[] Tasks =
    [
        ("lm", TaskKind.Lm), ("classify", TaskKind.Classify), ("forecast", TaskKind.Forecast),
        ("classify_steps", TaskKind.ClassifySteps), ("forecast_steps", TaskKind.ForecastSteps),
    ];

    /// <summary>The one map between task strings (as stored in files) and <see cref="TaskKind"/>.</summary>
    public static IReadOnlyList<(string Name, TaskKind Kind)> TaskNames => Tasks;

    /// <summary>The string stored in files for <paramref name="kind"/>.</summary>
    public static string TaskName(TaskKind kind)
    {
        foreach (var (name, k) in Tasks)
        {
            if (k == kind)
                return name;
        }
        throw new ArgumentOutOfRangeException(nameof(kind), $"unknown task kind {kind}.");
    }

    /// <summary>The task kind of <see cref="Task"/>.</summary>
    [JsonIgnore]
    public TaskKind TaskKind
    {
        get
        {
            foreach (var (name, kind) in Tasks)
            {
                if (name == Task)
                    return kind;
            }
            throw new ModelConfigException("task", $"unknown task '{Task}' ({string.Join(", ", Tasks.Select(t => t.Name))}).");
        }
    }

    /// <summary>True when the head runs at every step ([T, B, OutputSize]); false when it reads the final state ([B, OutputSize]).</summary>
    [JsonIgnore]
    public bool OutputsPerStep => TaskKind is TaskKind.Lm or TaskKind.ClassifySteps or TaskKind.ForecastSteps;

    /// <summary>True for the regression tasks (<c>forecast</c>, <c>forecast_steps</c>): real targets, optional scaling statistics.</summary>
    [JsonIgnore]
    public bool IsRegression => TaskKind is TaskKind.Forecast or TaskKind.ForecastSteps;

    /// <summary><c>lstm</c>, <c>gru</c>, <c>rnn</c> (tanh), <c>rnn_relu</c>, <c>mingru</c> or <c>minlstm</c>.</summary>
    public string Cell { get; init; } = "lstm";

    /// <summary>Number of stacked recurrent layers.</summary>
    public int Layers { get; init; } = 1;

    /// <summary>Hidden size H of each layer and direction.</summary>
    public int Hidden { get; init; } = 128;

    /// <summary>Embedding width E (token input only; 0 for feature input).</summary>
    public int Embedding { get; init; }

    /// <summary>Runs a second, reversed direction (not for <c>lm</c>).</summary>
    public bool Bidirectional { get; init; }

    /// <summary>LSTM projection size (0 = none).</summary>
    public int ProjSize { get; init; }

    /// <summary>Dropout probability between recurrent layers and before the head, during training.</summary>
    public float Dropout { get; init; }

    /// <summary>Number of input features for feature input (forecast, or classify without a vocabulary).</summary>
    public int InputSize { get; init; }

    /// <summary>Head width: vocabulary size (lm), horizon·targets (forecast), number of classes (classify).</summary>
    public int OutputSize { get; init; }

    /// <summary><c>chars</c>, <c>bytes</c> or empty: how text maps to token ids.</summary>
    public string Tokens { get; init; } = "";

    /// <summary>The token strings, by id (lm and token classify).</summary>
    public string[] Vocab { get; init; } = [];

    /// <summary>Class labels, by id (classify).</summary>
    public string[] Classes { get; init; } = [];

    /// <summary>Input feature names, by column (forecast).</summary>
    public string[] Features { get; init; } = [];

    /// <summary>Target names (forecast); the head predicts horizon × targets values, step-major.</summary>
    public string[] Targets { get; init; } = [];

    /// <summary>Input window length in steps (forecast).</summary>
    public int Window { get; init; }

    /// <summary>Number of future steps predicted (forecast).</summary>
    public int Horizon { get; init; }

    /// <summary>Per-feature mean subtracted before the model (forecast: x' = (x - mean) / std).</summary>
    public float[] FeatureMean { get; init; } = [];

    /// <summary>Per-feature standard deviation (see <see cref="FeatureMean"/>).</summary>
    public float[] FeatureStd { get; init; } = [];

    /// <summary>Per-target mean: predictions are y = y' · std + mean.</summary>
    public float[] TargetMean { get; init; } = [];

    /// <summary>Per-target standard deviation (see <see cref="TargetMean"/>).</summary>
    public float[] TargetStd { get; init; } = [];

    /// <summary>Audio front end of a classify model that reads recordings (null: the model reads feature columns).</summary>
    public AudioFeatureOptions? Audio { get; init; }

    /// <summary>True when the input is token ids through an embedding.</summary>
    [JsonIgnore]
    public bool UsesEmbedding => Embedding > 0;

    /// <summary>The recurrent cell kind of <see cref="Cell"/>.</summary>
    [JsonIgnore]
    public CellKind CellKind => CellKinds.TryParse(Cell, out var kind, out _)
        ? kind
        : throw new ModelConfigException("cell", $"unknown cell '{Cell}' ({CellKinds.NameList}).");

    /// <summary>The recurrent-stack options this config describes.</summary>
    public RecurrentOptions ToRecurrentOptions() => new(CellKind, UsesEmbedding ? Embedding : InputSize, Hidden, Layers,
        Bidirectional, ProjSize, Dropout, CellKinds.TryParse(Cell, out _, out var nonlinearity) ? nonlinearity : Nonlinearity.Tanh);

    // Sane limits on the sizes a file may state: checked before anything is allocated from them.
    private const int MaxLayers = 256;
    private const int MaxWidth = 65_536;
    private const int MaxOutputs = 1 << 24;
    private const int MaxSteps = 1_000_000;

    /// <summary>
    /// Checks that the fields are consistent and within sane limits (layers ≤ 256; hidden, embedding, input size and
    /// projection ≤ 65536; output size ≤ 2^24; no null strings; scaling values finite, standard deviations positive);
    /// throws <see cref="ModelConfigException"/> naming the field.
    /// </summary>
    public void Validate()
    {
        CheckStrings("format", [Format]);
        CheckStrings("task", [Task]);
        CheckStrings("cell", [Cell]);
        CheckStrings("tokens", [Tokens]);
        CheckStrings("vocab", Vocab);
        CheckStrings("classes", Classes);
        CheckStrings("features", Features);
        CheckStrings("targets", Targets);
        CheckRange("layers", Layers, 1, MaxLayers);
        CheckRange("hidden", Hidden, 1, MaxWidth);
        CheckRange("embedding", Embedding, 0, MaxWidth);
        CheckRange("proj_size", ProjSize, 0, MaxWidth);
        CheckRange("input_size", InputSize, 0, MaxWidth);
        CheckRange("output_size", OutputSize, 1, MaxOutputs);
        CheckRange("window", Window, 0, MaxSteps);
        CheckRange("horizon", Horizon, 0, MaxSteps);
        if (Tokens is not ("" or "chars" or "bytes"))
            throw new ModelConfigException("tokens", $"unknown token unit '{Tokens}' (chars, bytes, or empty for plain ids).");
        CheckScale("feature_mean", FeatureMean, positive: false);
        CheckScale("feature_std", FeatureStd, positive: true);
        CheckScale("target_mean", TargetMean, positive: false);
        CheckScale("target_std", TargetStd, positive: true);
        if (Format != CurrentFormat)
            throw new ModelConfigException("format", $"unsupported format '{Format}' (expected '{CurrentFormat}').");
        var task = TaskKind;
        _ = CellKind;
        if (Layers < 1)
            throw new ModelConfigException("layers", $"must be at least 1, got {Layers}.");
        if (Hidden < 1)
            throw new ModelConfigException("hidden", $"must be at least 1, got {Hidden}.");
        if (Embedding < 0)
            throw new ModelConfigException("embedding", $"must not be negative, got {Embedding}.");
        if (ProjSize < 0 || (ProjSize > 0 && (CellKind != CellKind.Lstm || ProjSize >= Hidden)))
            throw new ModelConfigException("proj_size", $"{ProjSize} is invalid: projection needs an LSTM and 0 < proj_size < hidden.");
        if (!(Dropout >= 0 && Dropout < 1))
            throw new ModelConfigException("dropout", $"must be in [0, 1), got {Dropout}.");
        if (OutputSize < 1)
            throw new ModelConfigException("output_size", $"must be at least 1, got {OutputSize}.");
        if (task == TaskKind.Lm)
        {
            if (!UsesEmbedding)
                throw new ModelConfigException("embedding", "task 'lm' needs an embedding width > 0.");
            if (Bidirectional)
                throw new ModelConfigException("bidirectional", "task 'lm' predicts the next token and cannot be bidirectional.");
        }
        if (UsesEmbedding)
        {
            if (VocabularySize < 1)
                throw new ModelConfigException("vocab", $"task '{Task}' with an embedding needs the token strings (vocab).");
            if (Vocab.Length != 0 && Vocab.Length != VocabularySize)
                throw new ModelConfigException("vocab", $"has {Vocab.Length} entries but the model expects {VocabularySize}.");
        }
        else if (InputSize < 1)
        {
            throw new ModelConfigException("input_size", $"must be at least 1 for feature input, got {InputSize}.");
        }
        if (task == TaskKind.Forecast && UsesEmbedding)
            throw new ModelConfigException("embedding", "task 'forecast' reads features directly (embedding must be 0).");
        if (IsRegression)
        {
            if (Features.Length != 0 && Features.Length != InputSize)
                throw new ModelConfigException("features", $"has {Features.Length} names but input_size is {InputSize}.");
            if (FeatureMean.Length != 0 && FeatureMean.Length != InputSize)
                throw new ModelConfigException("feature_mean", $"has {FeatureMean.Length} values but input_size is {InputSize}.");
            if (FeatureStd.Length != FeatureMean.Length)
                throw new ModelConfigException("feature_std", $"has {FeatureStd.Length} values but feature_mean has {FeatureMean.Length}.");
            if (Targets.Length > 0 && Horizon > 0 && Targets.Length * Horizon != OutputSize)
                throw new ModelConfigException("output_size", $"is {OutputSize} but horizon × targets is {Horizon * Targets.Length}.");
            if (TargetStd.Length != TargetMean.Length)
                throw new ModelConfigException("target_std", $"has {TargetStd.Length} values but target_mean has {TargetMean.Length}.");
            if (Targets.Length > 0 && TargetMean.Length != 0 && TargetMean.Length != Targets.Length)
                throw new ModelConfigException("target_mean", $"has {TargetMean.Length} values but there are {Targets.Length} targets.");
            if (task == TaskKind.Forecast && Targets.Length > 0 && Horizon < 1)
                throw new ModelConfigException("horizon", $"must be at least 1 for a forecaster, got {Horizon}.");
            if (task == TaskKind.ForecastSteps && Targets.Length > 0 && Targets.Length != OutputSize)
                throw new ModelConfigException("targets", $"has {Targets.Length} names but a per-step regressor outputs {OutputSize} values.");
        }
        if (task is TaskKind.Classify or TaskKind.ClassifySteps && Classes.Length != 0 && Classes.Length != OutputSize)
            throw new ModelConfigException("classes", $"has {Classes.Length} labels but output_size is {OutputSize}.");
        if (TaskKind == TaskKind.Classify && !UsesEmbedding)
        {
            if (Features.Length != 0 && Features.Length != InputSize)
                throw new ModelConfigException("features", $"has {Features.Length} names but input_size is {InputSize}.");
            if (FeatureMean.Length != 0 && FeatureMean.Length != InputSize)
                throw new ModelConfigException("feature_mean", $"has {FeatureMean.Length} values but input_size is {InputSize}.");
            if (FeatureStd.Length != FeatureMean.Length)
                throw new ModelConfigException("feature_std", $"has {FeatureStd.Length} values but feature_mean has {FeatureMean.Length}.");
        }
        if (Audio is not null)
        {
            if (TaskKind != TaskKind.Classify || UsesEmbedding)
                throw new ModelConfigException("audio", "an audio front end needs task classify with feature input.");
            if (Audio.Mels != InputSize)
                throw new ModelConfigException("audio", $"has {Audio.Mels} mel filters but input_size is {InputSize}.");
            if (Audio.SampleRate < 1000 || Audio.FrameMs <= 0 || Audio.HopMs <= 0 || Audio.Mels < 1 || Audio.FftSize < Audio.FrameMs * Audio.SampleRate / 1000
                || !(Audio.LowHz >= 0 && Audio.LowHz < Audio.HighHz && Audio.HighHz <= Audio.SampleRate / 2.0))
                throw new ModelConfigException("audio", "sample rate, frame, hop, FFT size or filter range out of range.");
        }
    }

    private static void CheckRange(string field, int value, int min, int max)
    {
        if (value < min || value > max)
            throw new ModelConfigException(field, $"must be in [{min}, {max}], got {value}.");
    }

    private static void CheckStrings(string field, string?[]? values)
    {
        if (values is null)
            throw new ModelConfigException(field, "is null.");
        for (int i = 0; i < values.Length; i++)
        {
            if (values[i] is null)
                throw new ModelConfigException(field, values.Length == 1 && field != "vocab" ? "is null." : $"entry {i} is null.");
        }
    }

    private static void CheckScale(string field, float[]? values, bool positive)
    {
        if (values is null)
            throw new ModelConfigException(field, "is null.");
        for (int i = 0; i < values.Length; i++)
        {
            if (!float.IsFinite(values[i]) || (positive && !(values[i] > 0)))
                throw new ModelConfigException(field, $"entry {i} is {values[i]}; it must be finite{(positive ? " and positive" : "")}.");
        }
    }

    /// <summary>Vocabulary size V of the embedding (lm: <see cref="OutputSize"/>; classify: <see cref="Vocab"/> length).</summary>
    [JsonIgnore]
    public int VocabularySize => TaskKind == TaskKind.Lm ? OutputSize : Vocab.Length;

    private static readonly JsonSerializerOptions JsonOptions = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        WriteIndented = false,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        RespectNullableAnnotations = true,
    };

    /// <summary>The JSON stored in <c>__metadata__["baton.config"]</c>.</summary>
    public string ToJson() => JsonSerializer.Serialize(this, JsonOptions);

    /// <summary>Parses and validates the JSON of <see cref="ToJson"/>.</summary>
    public static ModelConfig FromJson(string json)
    {
        ModelConfig? config;
        try
        {
            config = JsonSerializer.Deserialize<ModelConfig>(json, JsonOptions);
        }
        catch (JsonException e)
        {
            string field = e.Path is { Length: > 2 } path && path.StartsWith("$.", StringComparison.Ordinal) ? path[2..] : "baton.config";
            if (e.Message.Contains("could not be mapped", StringComparison.Ordinal))
            {
                var key = System.Text.RegularExpressions.Regex.Match(e.Message, "property '([^']*)'");
                throw new ModelConfigException(key.Success ? key.Groups[1].Value : field, "unknown key: a Baton config has no such field.");
            }
            throw new ModelConfigException(field, $"invalid JSON: {e.Message}");
        }
        if (config is null)
            throw new ModelConfigException("baton.config", "is null.");
        config.Validate();
        return config;
    }
}
