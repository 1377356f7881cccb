using Baton.Data;

namespace Baton.Tests.Api;

/// <summary>The library's classification from files: long-format CSV, folders of WAV recordings, class names and weights.</summary>
public class ClassificationFromFilesTests : IDisposable
{
    /// <summary>Float32 losses summed in a different order than the float64 reference.</summary>
    private const double LossTolerance = 1e-5;

    private readonly string dir = Directory.CreateTempSubdirectory("baton-api-classify-").FullName;

    public void Dispose() => Directory.Delete(dir, recursive: true);

    [Fact]
    public void A_long_csv_becomes_one_sequence_per_id_ordered_by_time_with_sorted_class_names()
    {
        string path = Path.Combine(dir, "runs.csv");
        File.WriteAllText(path, "run,t,ax,fault\nb,2,0.5,ok\na,1,1.5,worn\nb,1,0.25,ok\na,2,2.5,worn\nc,1,9,ok\n");

        var data = SequenceDataset.FromCsv(path, "run", "fault", timeColumn: "t");

        Assert.Equal(["ok", "worn"], data.ClassNames);
        Assert.Equal(3, data.Count);
        Assert.Equal(1, data.InputSize);
        Assert.Equal(2, data.OutputSize);
        var byFirstValue = data.Examples.ToDictionary(e => e.Features![0]);
        Assert.Equal([0.25f, 0.5f], byFirstValue[0.25f].Features!);   // b, ordered by t
        Assert.Equal(0, byFirstValue[0.25f].Label);
        Assert.Equal([1.5f, 2.5f], byFirstValue[1.5f].Features!);      // a
        Assert.Equal(1, byFirstValue[1.5f].Label);
    }

    [Fact]
    public void A_label_that_changes_within_a_sequence_is_invalid_data_naming_the_file_line_and_sequence()
    {
        string path = Path.Combine(dir, "bad.csv");
        File.WriteAllText(path, "id,x,label\n7,1,a\n7,2,b\n8,1,b\n");

        var e = Assert.Throws<InvalidDataException>(() => SequenceDataset.FromCsv(path, "id", "label"));

        Assert.Contains("bad.csv line 3", e.Message);
        Assert.Contains("'7'", e.Message);
    }

    [Fact]
    public void Balanced_class_weights_are_n_over_classes_times_count()
    {
        var data = SequenceDataset.ForClassification([[[1f]], [[2f]], [[3f]], [[4f]]], [0, 0, 0, 1]);

        Assert.Equal([4f / 6, 2f], data.BalancedClassWeights());
    }

    [Fact]
    public void The_first_step_of_a_weighted_fit_reports_the_weighted_mean_cross_entropy_of_the_initial_model()
    {
        var data = SequenceDataset.ForClassification(
            [[[0.1f], [0.4f]], [[0.9f]], [[-0.3f], [0.2f], [0.8f]], [[0.5f], [-0.5f]], [[1.1f]]], [0, 1, 1, 2, 0]);
        var model = RecurrentModel.Classifier(1, 3, new RecurrentModelOptions { HiddenSize = 5, Standardize = false });
        float[] weights = [0.5f, 2f, 1.25f];
        double expected = 0;
        for (int i = 0; i < data.Count; i++)
        {
            int label = data.Examples[i].Label;
            float[][] steps = [.. Enumerable.Range(0, data.Examples[i].Features!.Length).Select(t => new[] { data.Examples[i].Features![t] })];
            expected += weights[label] * -Math.Log(model.Predict(steps)[label]);
        }
        expected /= data.Count;
        double? firstLoss = null;

        model.Fit(data, new FitOptions
        {
            Steps = 1, BatchSize = data.Count, ClassWeights = weights,
            Progress = new SynchronousProgress(p => firstLoss ??= p.Loss),
        });

        Assert.NotNull(firstLoss);
        Assert.InRange(firstLoss.Value, expected * (1 - LossTolerance), expected * (1 + LossTolerance));
    }

    [Fact]
    public void Class_weights_of_the_wrong_count_are_refused()
    {
        var data = SequenceDataset.ForClassification([[[1f]], [[2f]]], [0, 1]);
        var model = RecurrentModel.Classifier(1, 2);

        var e = Assert.Throws<ArgumentException>(() => model.Fit(data, new FitOptions { ClassWeights = [1f, 1f, 1f] }));

        Assert.Contains("2 positive finite weights", e.Message);
    }

    [Fact]
    public void Recordings_in_label_folders_train_a_classifier_that_keeps_its_class_names_and_reads_files_alone()
    {
        const int Rate = 8000;
        var rng = new Random(5);
        foreach (var (label, hz) in new[] { ("high", 1800.0), ("low", 300.0) })
        {
            Directory.CreateDirectory(Path.Combine(dir, label));
            for (int i = 0; i < 6; i++)
            {
                double f = hz * (0.9 + 0.2 * rng.NextDouble());
                float[] x = [.. Enumerable.Range(0, Rate / 5 + 200 * i).Select(n => (float)(0.5 * Math.Sin(2 * Math.PI * f * n / Rate)))];
                File.WriteAllBytes(Path.Combine(dir, label, $"{label}{i}.wav"), WaveReader.Write16(x, Rate));
            }
        }

        var data = SequenceDataset.FromAudio(dir);
        var model = RecurrentModel.Classifier(data.InputSize, 2, new RecurrentModelOptions { Cell = RecurrentCell.Gru, HiddenSize = 8 });
        var result = model.Fit(data, new FitOptions { Epochs = 40, LearningRate = 1e-2, BatchSize = 4, Validation = data });
        string saved = Path.Combine(dir, "tones.safetensors");
        model.Save(saved);
        var loaded = RecurrentModel.Load(saved);
        float[][] frames = AudioFeatures.LogMel(Path.Combine(dir, "low", "low3.wav"));

        Assert.Equal(["high", "low"], data.ClassNames);
        Assert.Equal(32, data.InputSize);                                            // 32 mel filters below 16 kHz
        Assert.Equal(data.Examples[9].Features, frames.SelectMany(f => f).ToArray()); // low3 is the 10th file in path order
        Assert.Equal(1.0, result.Validation!.Accuracy);
        Assert.Equal(["high", "low"], loaded.ClassNames);
        Assert.Equal(1, loaded.PredictClass(frames));
        Assert.Equal(model.Predict(frames), loaded.Predict(frames));
    }

    [Fact]
    public void A_wav_file_that_is_not_pcm_wav_is_invalid_data()
    {
        string path = Path.Combine(dir, "x.wav");
        File.WriteAllText(path, "not audio");

        var e = Assert.Throws<InvalidDataException>(() => AudioFeatures.LogMel(path));

        Assert.Contains("not a WAV file", e.Message);
    }

    private sealed class SynchronousProgress(Action<FitProgress> report) : IProgress<FitProgress>
    {
        public void Report(FitProgress value) => report(value);
    }
}
