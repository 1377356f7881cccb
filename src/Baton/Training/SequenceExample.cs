namespace Baton.Training;

/// <summary>
/// One variable-length training example: token ids [len] or features [len, I] (row-major), and what it teaches: a label
/// (classify) or a regression target [targets] (forecast) for the whole sequence, or, for the per-step tasks, a label at
/// every step (<paramref name="StepLabels"/> [len]: lm, classify_steps) or a target row at every step
/// (<paramref name="StepTargets"/> [len, targets]: forecast_steps).
/// </summary>
internal sealed record SequenceExample(int[]? Tokens, float[]? Features, int Label = 0, float[]? Target = null,
    int[]? StepLabels = null, float[]? StepTargets = null);
