using Baton.Models;

namespace Baton;

/// <summary>
/// Step-by-step inference with a unidirectional <see cref="RecurrentModel"/> (<see cref="RecurrentModel.CreateStream"/>):
/// each <c>Step</c> advances the carried state h (and c for an LSTM) by one input and returns what the model outputs after
/// the steps so far — exactly the output its <c>Predict</c> gives for that prefix, to float32 rounding (bit for bit for
/// RNN, GRU and LSTM layers up to 384 inputs wide). A stream owns its state: any number of streams may run on one model at
/// once, each on its own thread; one stream must not be stepped from two threads at the same time.
/// </summary>
public sealed class ModelStream
{
    private readonly RecurrentModel owner;
    private readonly SequenceModel model;
    private readonly SequenceStream stream;
    private readonly float[] scaled;   // [I] the standardised step input (regression models with statistics)

    internal ModelStream(RecurrentModel owner, SequenceModel model)
    {
        this.owner = owner;
        this.model = model;
        stream = model.CreateStream(1);
        scaled = new float[model.Config.UsesEmbedding ? 0 : model.Config.InputSize];
    }

    /// <summary>Steps taken since creation or the last <see cref="Reset"/>.</summary>
    public long Steps { get; private set; }

    /// <summary>Width of each output: classes, vocabulary size or values (see <see cref="RecurrentModel.OutputSize"/>).</summary>
    public int OutputSize => model.Config.OutputSize;

    /// <summary>Advances by one step of <paramref name="features"/> [InputSize] and returns the output (a new array).</summary>
    public float[] Step(ReadOnlySpan<float> features)
    {
        var output = new float[OutputSize];
        Step(features, output);
        return output;
    }

    /// <summary>
    /// Advances by one step of <paramref name="features"/> and writes the output into <paramref name="output"/> [OutputSize]
    /// (no allocation): probabilities for the classification tasks, values in the targets' units for regression.
    /// </summary>
    public void Step(ReadOnlySpan<float> features, Span<float> output)
    {
        if (model.Config.UsesEmbedding)
            throw new InvalidOperationException("This model reads token ids: call Step(int).");
        if (features.Length != scaled.Length)
            throw new ArgumentException($"holds {features.Length} values, the model reads {scaled.Length} features.", nameof(features));
        CheckOutput(output);
        owner.ScaleInput(model.Config, features, scaled);
        var raw = model.Step(stream, (ReadOnlySpan<float>)scaled);
        RecurrentModel.Finish(model.Config, raw, output);
        Steps++;
    }

    /// <summary>Advances by one token id and returns the output (a new array): next-token probabilities for a language model.</summary>
    public float[] Step(int token)
    {
        var output = new float[OutputSize];
        Step(token, output);
        return output;
    }

    /// <summary>Advances by one token id and writes the output into <paramref name="output"/> [OutputSize] (no allocation).</summary>
    public void Step(int token, Span<float> output)
    {
        if (!model.Config.UsesEmbedding)
            throw new InvalidOperationException("This model reads features: call Step(ReadOnlySpan<float>).");
        if ((uint)token >= (uint)model.Config.VocabularySize)
            throw new ArgumentOutOfRangeException(nameof(token), $"token id {token} is outside the vocabulary [0, {model.Config.VocabularySize}).");
        CheckOutput(output);
        ReadOnlySpan<int> ids = [token];
        var raw = model.Step(stream, ids);
        RecurrentModel.Finish(model.Config, raw, output);
        Steps++;
    }

    /// <summary>Returns to the state before the first step (h = c = 0).</summary>
    public void Reset()
    {
        stream.Reset();
        Steps = 0;
    }

    private void CheckOutput(Span<float> output)
    {
        if (output.Length != OutputSize)
            throw new ArgumentException($"holds {output.Length} values, the model outputs {OutputSize}.", nameof(output));
    }
}
