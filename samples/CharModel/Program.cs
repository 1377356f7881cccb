using Baton;
using static System.FormattableString;

// Train a character-level LSTM on a short text, then sample from it and follow it one character at a time.
const string text = """
    The hidden state is the baton that each time step hands to the next.
    A recurrent network reads a sequence one step at a time, and at every step
    it mixes what it reads with what it remembers, then hands the result on.
    """;
string corpus = string.Concat(Enumerable.Repeat(text, 8));

var vocabulary = TokenVocabulary.FromCharacters(corpus);
var data = SequenceDataset.ForLanguageModel(vocabulary.Encode(corpus), sequenceLength: 64);
var model = RecurrentModel.LanguageModel(vocabulary, new RecurrentModelOptions { HiddenSize = 96, EmbeddingSize = 16 });
model.Fit(data, new FitOptions { Epochs = 25, BatchSize = 8, LearningRate = 1e-2 });

Console.WriteLine(model.Generate("The hidden ", length: 120, temperature: 0.5f, seed: 7));

// A stream carries the state: feed a prompt character by character and read the next-character probabilities.
var stream = model.CreateStream();
float[] next = [];
foreach (int id in vocabulary.Encode("each time st"))
    next = stream.Step(id);
int best = Array.IndexOf(next, next.Max());
Console.WriteLine(Invariant($"after \"each time st\" the model expects '{vocabulary[best]}' (p = {next[best]:F2})"));
Console.WriteLine(Invariant($"training loss (nats per character): {model.Evaluate(data).Loss:F3}"));
