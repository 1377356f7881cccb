namespace Baton.Models;

/// <summary>What the head of a <see cref="SequenceModel"/> predicts; <see cref="ModelConfig.Task"/> stores it as a string.</summary>
internal enum TaskKind
{
    /// <summary><c>lm</c>: next-token logits at every step, [T, B, V].</summary>
    Lm,

    /// <summary><c>classify</c>: class logits from the final state, [B, classes].</summary>
    Classify,

    /// <summary><c>forecast</c>: regression values from the final state, [B, horizon·targets].</summary>
    Forecast,

    /// <summary><c>classify_steps</c>: class logits at every step, [T, B, classes] (tagging, early classification).</summary>
    ClassifySteps,

    /// <summary><c>forecast_steps</c>: regression values at every step, [T, B, targets].</summary>
    ForecastSteps,
}
