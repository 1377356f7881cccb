namespace Baton;

/// <summary>What a <see cref="RecurrentModel"/> predicts. Every task is the same network: input → recurrent layers → a linear head.</summary>
public enum ModelTask
{
    /// <summary>Next token at every step: token ids in, a probability for every token of the vocabulary out at each step.</summary>
    LanguageModel,

    /// <summary>One label per sequence: the head reads the final state (of both directions when bidirectional).</summary>
    Classification,

    /// <summary>One vector of values per sequence (regression, multi-step forecasting): the head reads the final state.</summary>
    Regression,

    /// <summary>A label at every step (tagging, early classification): the head reads the output of every step.</summary>
    StepClassification,

    /// <summary>A vector of values at every step (per-step regression): the head reads the output of every step.</summary>
    StepRegression,
}
