using System.Globalization;
using Baton;
using static System.FormattableString;

// Forecast the next 24 hours of electricity load from the last 48 hours of load and temperature.
string csv = args.Length > 0 ? args[0] : Path.Combine(AppContext.BaseDirectory, "energy.csv");
float[][] rows = File.ReadLines(csv)
    .Skip(1)                                                          // header: time,temperature,load
    .Select(line => line.Split(',')[1..].Select(v => float.Parse(v, CultureInfo.InvariantCulture)).ToArray())
    .ToArray();

var windows = SequenceDataset.ForForecasting(rows, window: 48, horizon: 24, targetColumns: 1);
var (train, test) = windows.Split(0.2);

var model = RecurrentModel.Forecaster(features: 2, horizon: 24,
    options: new RecurrentModelOptions { Cell = RecurrentCell.Gru, HiddenSize = 32 });
var result = model.Fit(train, new FitOptions { Epochs = 4, LearningRate = 3e-3, Validation = test });
foreach (var epoch in result.History)
    Console.WriteLine(Invariant($"epoch {epoch.Epoch}: training loss {epoch.Loss:F4}, validation loss {epoch.ValidationLoss:F4}"));

float[] next = model.Predict(rows[^48..]);
Console.WriteLine("next 24 hours of load: " + string.Join(" ", next.Select(v => Invariant($"{v:F1}"))));
Console.WriteLine(Invariant($"test MAE: {result.Validation!.MeanAbsoluteError:F3}"));
