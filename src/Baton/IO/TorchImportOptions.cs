namespace Baton.IO;

/// <summary>What <see cref="TorchImport"/> cannot read from tensor names and shapes.</summary>
internal sealed record TorchImportOptions
{
    /// <summary>The recurrent cell of the state dict: <c>lstm</c>, <c>gru</c>, <c>rnn</c> (tanh), <c>rnn_relu</c>, <c>mingru</c> or <c>minlstm</c>.</summary>
    public required string Cell { get; init; }

    /// <summary><c>lm</c> (embedding → stack → head at every step), <c>forecast</c> or <c>classify</c> (head on the final state).</summary>
    public string Task { get; init; } = "lm";

    /// <summary>
    /// The token strings by id, one Unicode character each; required for <c>lm</c> and for token
    /// <c>classify</c>, and its length must equal the rows of <c>embedding.weight</c>.
    /// </summary>
    public string[] Vocab { get; init; } = [];
}
