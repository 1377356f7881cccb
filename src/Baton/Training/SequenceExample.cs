namespace Baton.Training;

/// <summary>
/// One variable-length training example: token ids [len] or features [len, I] (row-major), and its label (classify)
/// or regression target [targets] (forecast).
/// </summary>
internal sealed record SequenceExample(int[]? Tokens, float[]? Features, int Label = 0, float[]? Target = null);
