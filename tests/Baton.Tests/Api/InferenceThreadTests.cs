namespace Baton.Tests.Api;

public class InferenceThreadTests
{
    [Fact]
    public void Eight_threads_streaming_from_one_loaded_model_equal_a_single_threaded_run_bit_for_bit()
    {
        using var dir = new IO.TempDirectory();
        var vocabulary = TokenVocabulary.FromCharacters("abcdefghij ");
        string path = Path.Combine(dir.Path, "lm.safetensors");
        RecurrentModel.LanguageModel(vocabulary, new RecurrentModelOptions { Cell = RecurrentCell.Lstm, HiddenSize = 32, Layers = 2, Seed = 3 }).Save(path);
        var model = RecurrentModel.Load(path);
        int[][] inputs = [.. Enumerable.Range(0, 8).Select(s => vocabulary.Encode(string.Concat(Enumerable.Range(0, 200).Select(i => "abcdefghij "[(i * (s + 3) + s) % 11]))))];

        float[][] Run(int[] tokens)
        {
            var stream = model.CreateStream();
            return [.. tokens.Select(stream.Step)];
        }

        var single = inputs.Select(Run).ToArray();
        var parallel = new float[8][][];
        using var start = new Barrier(8);
        var threads = Enumerable.Range(0, 8).Select(s => new Thread(() =>
        {
            start.SignalAndWait();
            parallel[s] = Run(inputs[s]);
        })).ToArray();
        foreach (var thread in threads)
            thread.Start();
        foreach (var thread in threads)
            thread.Join();
        for (int s = 0; s < 8; s++)
            Assert.Equal(single[s], parallel[s]);
        Assert.NotEqual(single[0][^1], single[1][^1]);   // the streams differ, so equality is not trivial
    }

    [Fact]
    public void Eight_threads_predicting_with_one_model_equal_a_single_threaded_run_bit_for_bit()
    {
        var (x, _) = ApiData.Shapes(64, seed: 21);
        var model = RecurrentModel.Classifier(1, 3, new RecurrentModelOptions { Cell = RecurrentCell.Gru, HiddenSize = 24, Bidirectional = true });
        var single = x.Select(model.Predict).ToArray();
        var parallel = new float[x.Length][];
        var threads = Enumerable.Range(0, 8).Select(s => new Thread(() =>
        {
            for (int i = s; i < x.Length; i += 8)
                parallel[i] = model.Predict(x[i]);
        })).ToArray();
        foreach (var thread in threads)
            thread.Start();
        foreach (var thread in threads)
            thread.Join();
        Assert.Equal(single, parallel);
    }
}
