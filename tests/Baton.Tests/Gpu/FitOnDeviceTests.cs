using Baton.Gpu;
using Baton.Tests.Api;
using Xunit.Abstractions;

namespace Baton.Tests.Gpu;

/// <summary><see cref="RecurrentModel.Fit"/> with <see cref="FitOptions.Device"/> set to the emulation, against the same fit on the CPU.</summary>
public class FitOnDeviceTests : IClassFixture<EmulatedDeviceFixture>
{
    /// <summary>The device trainer's bar against the CPU engine: losses |a − b| / |b|, weights per tensor max |a − b| / max |b|.</summary>
    private const double Tolerance = 1e-4;

    private readonly GpuDevice device;
    private readonly ITestOutputHelper output;

    public FitOnDeviceTests(EmulatedDeviceFixture fixture, ITestOutputHelper output)
    {
        device = fixture.Device;
        this.output = output;
    }

    private static RecurrentModel Classifier(RecurrentCell cell) =>
        RecurrentModel.Classifier(1, 3, new RecurrentModelOptions { Cell = cell, HiddenSize = 6, Layers = 2, Seed = 4 });

    private static RecurrentModel Regressor() => RecurrentModel.Regressor(2, 2, new RecurrentModelOptions { Cell = RecurrentCell.Lstm, HiddenSize = 6, Seed = 4 });

    private static double RelativeError(double a, double b) => Math.Abs(a - b) / Math.Abs(b);

    private void AssertSameFit(RecurrentModel cpuModel, RecurrentModel deviceModel, SequenceDataset train, SequenceDataset validation, FitOptions options)
    {
        var cpu = cpuModel.Fit(train, options);
        var onDevice = deviceModel.Fit(train, options with { Device = device });
        Assert.Equal(cpu.Reason, onDevice.Reason);
        Assert.Equal(cpu.Steps, onDevice.Steps);
        double lossError = cpu.History.Zip(onDevice.History, (a, b) => RelativeError(b.Loss, a.Loss)).Max();
        double validationError = RelativeError(onDevice.BestValidationLoss!.Value, cpu.BestValidationLoss!.Value);
        double weightError = GpuTrainerTests.MaxWeightError(deviceModel.Inner.Parameters, cpuModel.Inner.Parameters);
        output.WriteLine($"epoch loss error {lossError:E2}, validation {validationError:E2}, weight error {weightError:E2}");
        Assert.Equal(cpu.History.Count, onDevice.History.Count);
        Assert.InRange(lossError, 0, Tolerance);
        Assert.InRange(validationError, 0, Tolerance);
        Assert.InRange(weightError, 0, Tolerance);
    }

    [Theory]
    [InlineData(RecurrentCell.Gru)]
    [InlineData(RecurrentCell.Lstm)]
    public void A_classifier_fitted_on_the_device_matches_the_cpu_fit(RecurrentCell cell)
    {
        var (x, y) = ApiData.Shapes(40, seed: 1);
        var (train, validation) = SequenceDataset.ForClassification(x, y).Split(0.25);
        var options = new FitOptions { Epochs = 3, BatchSize = 8, LearningRate = 1e-2, Validation = validation, ClassWeights = [1f, 2f, 0.5f] };
        AssertSameFit(Classifier(cell), Classifier(cell), train, validation, options);
    }

    [Fact]
    public void A_regressor_fitted_on_the_device_matches_the_cpu_fit()
    {
        var (x, y) = ApiData.Summaries(40, seed: 2);
        var (train, validation) = SequenceDataset.ForRegression(x, y).Split(0.25);
        var options = new FitOptions { Epochs = 3, BatchSize = 8, LearningRate = 1e-2, Optimizer = OptimizerKind.AdamW, Validation = validation };
        AssertSameFit(Regressor(), Regressor(), train, validation, options);
    }

    [Fact]
    public void What_the_device_does_not_train_is_refused_by_name_before_any_step()
    {
        var (x, y) = ApiData.Summaries(16, seed: 2);
        var data = SequenceDataset.ForRegression(x, y);
        var model = Regressor();
        var before = model.Inner.Parameters.Data.ToArray();
        var e = Assert.Throws<NotSupportedException>(() => model.Fit(data, new FitOptions { Epochs = 1, Loss = RegressionLoss.Huber, Device = device }));
        Assert.Equal("FitOptions.Device does not train the huber loss (mse) yet; leave it null for the CPU engine.", e.Message);
        Assert.Equal(before, model.Inner.Parameters.Data);
    }
}
