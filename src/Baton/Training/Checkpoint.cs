using System.Text.Json;
using System.Text.Json.Serialization;
using Baton.IO;
using Baton.Models;

namespace Baton.Training;

/// <summary>
/// Training checkpoints: a model file (the model tensors and <c>baton.config</c>, loadable by <see cref="ModelFile.Load(string)"/>)
/// plus <c>optimizer.&lt;name&gt;</c> tensors (each [parameter count]), the carried recurrent state <c>trainer.h0</c> /
/// <c>trainer.c0</c>, and <c>__metadata__["baton.checkpoint"]</c>: the <see cref="TrainingState"/> as snake_case JSON.
/// Written atomically, so a crash leaves the previous checkpoint intact.
/// </summary>
internal static class Checkpoint
{
    /// <summary>Metadata key of the training state JSON.</summary>
    public const string StateKey = "baton.checkpoint";

    /// <summary>Prefix of optimizer state tensors.</summary>
    public const string OptimizerPrefix = "optimizer.";

    /// <summary>Name of the carried hidden state tensor.</summary>
    public const string HiddenStateName = "trainer.h0";

    /// <summary>Name of the carried LSTM cell state tensor.</summary>
    public const string CellStateName = "trainer.c0";

    /// <summary>Name of the best-validation weights [parameter count] that a run restoring the best weights keeps.</summary>
    public const string BestWeightsName = "trainer.best_weights";

    internal static readonly JsonSerializerOptions JsonOptions = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    /// <summary>Writes a checkpoint atomically; <paramref name="bestWeights"/> (empty = none) is stored as <see cref="BestWeightsName"/>.</summary>
    public static void Save(string path, SequenceModel model, IReadOnlyDictionary<string, float[]> optimizerState, TrainingState state,
        ReadOnlySpan<float> h0, ReadOnlySpan<float> c0, ReadOnlySpan<float> bestWeights = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(optimizerState);
        ArgumentNullException.ThrowIfNull(state);
        var writer = ModelFile.CreateWriter(model);
        writer.Metadata[StateKey] = JsonSerializer.Serialize(state, JsonOptions);
        foreach (var (name, values) in optimizerState.OrderBy(kv => kv.Key, StringComparer.Ordinal))
            writer.AddFloat32(OptimizerPrefix + name, [values.Length], values);
        writer.AddFloat32(HiddenStateName, [h0.Length], h0);
        writer.AddFloat32(CellStateName, [c0.Length], c0);
        if (!bestWeights.IsEmpty)
            writer.AddFloat32(BestWeightsName, [bestWeights.Length], bestWeights);
        writer.Save(path);
    }

    /// <summary>Reads a checkpoint; every problem names the file and the tensor or field.</summary>
    public static CheckpointData Load(string path) => Load(SafeTensorsFile.Read(path));

    /// <summary>Reads a checkpoint from a parsed file; every problem is a <see cref="SafeTensorsFormatException"/> or <see cref="ModelConfigException"/>.</summary>
    public static CheckpointData Load(SafeTensorsFile file)
    {
        ArgumentNullException.ThrowIfNull(file);
        var model = ModelFile.Load(file);
        if (!file.Metadata.TryGetValue(StateKey, out var json))
            throw new SafeTensorsFormatException(file.FilePath, null, $"not a training checkpoint: the metadata has no '{StateKey}' entry.");
        TrainingState? state;
        try
        {
            state = JsonSerializer.Deserialize<TrainingState>(json, JsonOptions);
        }
        catch (JsonException e)
        {
            throw new SafeTensorsFormatException(file.FilePath, null, $"{StateKey}: invalid JSON at {e.Path}: {e.Message}");
        }
        if (state is null || state.Rng.Length != 4 || state.Step < 0)
            throw new SafeTensorsFormatException(file.FilePath, null, $"{StateKey}: incomplete training state (step, rng).");
        var optimizer = new Dictionary<string, float[]>(StringComparer.Ordinal);
        foreach (var info in file.Tensors)
        {
            if (!info.Name.StartsWith(OptimizerPrefix, StringComparison.Ordinal))
                continue;
            if (info.ElementCount != model.Parameters.Count)
                throw new SafeTensorsFormatException(file.FilePath, info.Name,
                    $"holds {info.ElementCount} values but the model has {model.Parameters.Count} parameters.");
            optimizer[info.Name[OptimizerPrefix.Length..]] = file.ReadFloat32(info.Name);
        }
        float[] h0 = file.Contains(HiddenStateName) ? file.ReadFloat32(HiddenStateName) : [];
        float[] c0 = file.Contains(CellStateName) ? file.ReadFloat32(CellStateName) : [];
        float[] best = file.Contains(BestWeightsName) ? file.ReadFloat32(BestWeightsName) : [];
        return new CheckpointData(file.FilePath, model, state, optimizer, h0, c0) { BestWeights = best };
    }

    /// <summary>Reads only the training state JSON of a checkpoint (for <c>baton inspect</c>); null when the file is a plain model file.</summary>
    public static TrainingState? ReadState(SafeTensorsFile file)
    {
        ArgumentNullException.ThrowIfNull(file);
        if (!file.Metadata.TryGetValue(StateKey, out var json))
            return null;
        try
        {
            return JsonSerializer.Deserialize<TrainingState>(json, JsonOptions);
        }
        catch (JsonException e)
        {
            throw new SafeTensorsFormatException(file.FilePath, null, $"{StateKey}: invalid JSON at {e.Path}: {e.Message}");
        }
    }
}
