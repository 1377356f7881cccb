using Baton.Layers;
using Baton.Models;

namespace Baton.IO;

/// <summary>
/// Baton model files: one safetensors file holding every parameter under its PyTorch name (float32) and the
/// <see cref="ModelConfig"/> as JSON in <c>__metadata__["baton.config"]</c>. The tensors load into DESIGN.md's
/// PyTorch module with <c>load_state_dict(strict=True)</c>. Training checkpoints are model files with extra
/// tensors under <see cref="CheckpointPrefixes"/>; <see cref="Load(string)"/> accepts them too.
/// </summary>
internal static class ModelFile
{
    /// <summary>Metadata key of the config JSON.</summary>
    public const string ConfigKey = "baton.config";

    /// <summary>Name prefixes of non-model tensors that checkpoints add (ignored when loading a model).</summary>
    public static readonly string[] CheckpointPrefixes = ["optimizer.", "trainer."];

    /// <summary>Writes <paramref name="model"/> to <paramref name="path"/> atomically; <paramref name="metadata"/> adds string entries.</summary>
    public static void Save(SequenceModel model, string path, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        CreateWriter(model, metadata).Save(path);
    }

    /// <summary>A writer pre-filled with the model's tensors and config (checkpoints add to it).</summary>
    public static SafeTensorsWriter CreateWriter(SequenceModel model, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        var writer = new SafeTensorsWriter();
        writer.Metadata[ConfigKey] = model.Config.ToJson();
        if (metadata is not null)
        {
            foreach (var (key, value) in metadata)
                writer.Metadata[key] = value;
        }
        var p = model.Parameters;
        foreach (var tensor in p.Tensors)
            writer.AddFloat32(tensor.Name, tensor.Shape, p.Value(tensor));
        return writer;
    }

    /// <summary>Reads a model file (or a checkpoint) and rebuilds the model; every problem names the file and tensor or field.</summary>
    public static SequenceModel Load(string path) => Load(SafeTensorsFile.Read(path));

    /// <summary>Rebuilds the model stored in an already-read file.</summary>
    public static SequenceModel Load(SafeTensorsFile file)
    {
        ArgumentNullException.ThrowIfNull(file);
        var config = ReadConfig(file);
        CheckParameterCount(config, file);
        SequenceModel model;
        try
        {
            model = new SequenceModel(config);
        }
        catch (ArgumentException e)
        {
            throw new SafeTensorsFormatException(file.FilePath, ConfigKey, $"the config describes no valid model: {e.Message}");
        }
        LoadWeights(model, file);
        return model;
    }

    /// <summary>
    /// Checks, before any parameter is allocated, that the config's sizes describe no more than twice the parameters the
    /// file's model tensors hold (plus 2^20), so a small file cannot make a loader allocate gigabytes: P = V·E (embedding) + the recurrent stack's tensors + (S·D + 1)·O (head), where the
    /// file's count is Σ elements over tensors outside <see cref="CheckpointPrefixes"/>.
    /// </summary>
    private static void CheckParameterCount(ModelConfig config, SafeTensorsFile file)
    {
        if (!CellKinds.TryParse(config.Cell, out var kind, out _))
            throw new SafeTensorsFormatException(file.FilePath, ConfigKey, $"the config describes no valid model: unknown cell '{config.Cell}'.");
        long expected;
        try
        {
            int directions = config.Bidirectional ? 2 : 1;
            long stateOut = (long)(config.ProjSize > 0 ? config.ProjSize : config.Hidden) * directions;
            expected = kind.StackParameters(config.UsesEmbedding ? config.Embedding : config.InputSize, config.Hidden, config.Layers,
                    directions, config.ProjSize)
                + (config.UsesEmbedding ? (long)config.VocabularySize * config.Embedding : 0)
                + (stateOut + 1) * config.OutputSize;
        }
        catch (ArgumentException e)
        {
            throw new SafeTensorsFormatException(file.FilePath, ConfigKey, $"the config describes no valid model: {e.Message}");
        }
        long stored = file.Tensors.Where(t => !CheckpointPrefixes.Any(prefix => t.Name.StartsWith(prefix, StringComparison.Ordinal)))
            .Sum(t => t.ElementCount);
        if (expected > Array.MaxLength)
            throw new SafeTensorsFormatException(file.FilePath, ConfigKey, $"the config describes {expected} parameters, more than one array holds.");
        // A config that wants far more than the file holds is refused here, before the parameters are allocated; a small
        // difference (a missing or extra tensor) is named by LoadWeights.
        if (expected > 2 * stored + (1 << 20))
            throw new SafeTensorsFormatException(file.FilePath, ConfigKey,
                $"the config describes {expected} parameters but the file's model tensors hold only {stored} values.");
    }

    /// <summary>The config stored in <paramref name="file"/>.</summary>
    public static ModelConfig ReadConfig(SafeTensorsFile file)
    {
        ArgumentNullException.ThrowIfNull(file);
        if (!file.Metadata.TryGetValue(ConfigKey, out var json))
            throw new SafeTensorsFormatException(file.FilePath, null,
                $"not a Baton model file: the safetensors metadata has no '{ConfigKey}' entry.");
        try
        {
            return ModelConfig.FromJson(json);
        }
        catch (ModelConfigException e)
        {
            throw new SafeTensorsFormatException(file.FilePath, null, $"{ConfigKey}: {e.Message}");
        }
    }

    /// <summary>
    /// Copies the tensors of <paramref name="file"/> into <paramref name="model"/>'s parameters. Every parameter must be
    /// present with the exact shape and hold finite values; tensors the model does not have are an error (except
    /// checkpoint state under <see cref="CheckpointPrefixes"/>).
    /// </summary>
    public static void LoadWeights(SequenceModel model, SafeTensorsFile file)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(file);
        var p = model.Parameters;
        foreach (var tensor in p.Tensors)
        {
            if (!file.Contains(tensor.Name))
                throw new SafeTensorsFormatException(file.FilePath, tensor.Name,
                    $"missing: the config ({model.Config.Task}, {model.Config.Cell}) needs it with shape [{string.Join(", ", tensor.Shape)}].");
            var info = file.Info(tensor.Name);
            if (!info.Shape.SequenceEqual(tensor.Shape.Select(d => (long)d)))
                throw new SafeTensorsFormatException(file.FilePath, tensor.Name,
                    $"shape [{string.Join(", ", info.Shape)}] does not match the config, which needs [{string.Join(", ", tensor.Shape)}].");
            var values = p.Value(tensor);
            file.ReadFloat32(tensor.Name, values);
            for (int i = 0; i < values.Length; i++)
            {
                if (!float.IsFinite(values[i]))
                    throw new SafeTensorsFormatException(file.FilePath, tensor.Name, $"holds a non-finite value ({values[i]}) at element {i}.");
            }
        }
        foreach (var info in file.Tensors)
        {
            if (!p.TryGet(info.Name, out _) && !CheckpointPrefixes.Any(prefix => info.Name.StartsWith(prefix, StringComparison.Ordinal)))
                throw new SafeTensorsFormatException(file.FilePath, info.Name, "unexpected tensor: not part of the model the config describes.");
        }
        p.MarkChanged();
    }
}
