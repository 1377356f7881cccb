namespace Baton.Models;

/// <summary>An invalid <see cref="ModelConfig"/>; <see cref="Field"/> names the snake_case field at fault.</summary>
internal sealed class ModelConfigException(string field, string message) : Exception($"config field '{field}': {message}")
{
    /// <summary>The field at fault (snake_case, as in the JSON).</summary>
    public string Field { get; } = field;
}
