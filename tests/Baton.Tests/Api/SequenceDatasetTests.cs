namespace Baton.Tests.Api;

public class SequenceDatasetTests
{
    [Fact]
    public void A_language_model_dataset_reads_each_chunk_and_learns_the_token_that_follows()
    {
        var data = SequenceDataset.ForLanguageModel([0, 1, 2, 3, 4, 5, 6], sequenceLength: 3);
        Assert.Equal(2, data.Count);
        Assert.Equal([0, 1, 2], data.Examples[0].Tokens!);
        Assert.Equal([1, 2, 3], data.Examples[0].StepLabels!);
        Assert.Equal([3, 4, 5], data.Examples[1].Tokens!);
        Assert.Equal([4, 5, 6], data.Examples[1].StepLabels!);
        Assert.Equal(7, data.OutputSize);
    }

    [Fact]
    public void Forecasting_windows_take_the_window_up_to_each_origin_and_the_target_columns_after_it_step_major()
    {
        float[][] rows = [.. Enumerable.Range(0, 6).Select(t => new[] { t * 1f, t * 10f })];
        var data = SequenceDataset.ForForecasting(rows, window: 2, horizon: 2, 1, 0);
        Assert.Equal(3, data.Count);
        Assert.Equal([0f, 0f, 1f, 10f], data.Examples[0].Features!);
        Assert.Equal([20f, 2f, 30f, 3f], data.Examples[0].Target!);
        Assert.Equal([2f, 20f, 3f, 30f], data.Examples[2].Features!);
        Assert.Equal([40f, 4f, 50f, 5f], data.Examples[2].Target!);
        Assert.Equal(4, data.OutputSize);
    }

    [Fact]
    public void Split_keeps_the_order_and_puts_the_last_fraction_in_validation()
    {
        var data = SequenceDataset.ForForecasting([.. Enumerable.Range(0, 14).Select(i => (float)i)], window: 2, horizon: 1);
        var (train, validation) = data.Split(0.25);
        Assert.Equal(9, train.Count);
        Assert.Equal(3, validation.Count);
        Assert.Equal([9f, 10f], validation.Examples[0].Features!);
    }

    [Fact]
    public void Datasets_copy_what_they_are_given()
    {
        float[][] sequence = [[1f], [2f]];
        var data = SequenceDataset.ForClassification([sequence], [1]);
        sequence[0][0] = 99f;
        Assert.Equal([1f, 2f], data.Examples[0].Features!);
        var matrix = new float[,] { { 1f, 2f }, { 3f, 4f }, { 5f, 6f } };
        Assert.Equal([1f, 2f, 3f, 4f, 5f, 6f], SequenceDataset.ForRegression([matrix], [[0f]]).Examples[0].Features!);
    }
}
