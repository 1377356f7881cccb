using Baton;
using static System.FormattableString;

// Classify sequences of 4 to 12 steps by their shape: rising, falling or alternating.
var random = new Random(1);
string[] shapes = ["rising", "falling", "alternating"];
float Step(int shape, float offset, int t) => shape switch
{
    0 => offset + 0.2f * t,
    1 => offset - 0.2f * t,
    _ => t % 2 == 0 ? 0.8f : -0.8f,
} + 0.1f * (random.NextSingle() - 0.5f);

int[] labels = [.. Enumerable.Range(0, 600).Select(_ => random.Next(3))];
float[][][] sequences = [.. labels.Select(label =>
{
    float offset = random.NextSingle() * 2 - 1;
    return Enumerable.Range(0, random.Next(4, 13)).Select(t => new[] { Step(label, offset, t) }).ToArray();
})];

var (train, test) = SequenceDataset.ForClassification(sequences, labels).Split(0.25);
var model = RecurrentModel.Classifier(features: 1, classes: 3,
    new RecurrentModelOptions { Cell = RecurrentCell.Gru, HiddenSize = 16 });
var result = model.Fit(train, new FitOptions { Epochs = 12, LearningRate = 1e-2, Validation = test, Patience = 3 });

float[][] example = [[0.3f], [0.1f], [-0.1f], [-0.35f], [-0.5f]];
Console.WriteLine(result.Message);
Console.WriteLine($"[0.3, 0.1, -0.1, -0.35, -0.5] is {shapes[model.PredictClass(example)]}");
Console.WriteLine(Invariant($"test accuracy: {result.Validation!.Accuracy:F3}"));
