using Baton.Layers;
using Baton.Models;

namespace Baton;

/// <summary>The one map between the public enums and the strings that model files, checkpoints and the trainer store.</summary>
internal static class ApiNames
{
    /// <summary>The stored name of <paramref name="cell"/>, spelled by <see cref="CellKinds"/>.</summary>
    public static string CellName(RecurrentCell cell) => cell switch
    {
        RecurrentCell.Lstm => CellKinds.Name(CellKind.Lstm),
        RecurrentCell.Gru => CellKinds.Name(CellKind.Gru),
        RecurrentCell.Rnn => CellKinds.Name(CellKind.Rnn),
        RecurrentCell.RnnRelu => CellKinds.Name(CellKind.Rnn, Nonlinearity.Relu),
        RecurrentCell.MinGru => CellKinds.Name(CellKind.MinGru),
        RecurrentCell.MinLstm => CellKinds.Name(CellKind.MinLstm),
        _ => throw new ArgumentOutOfRangeException(nameof(cell), $"unknown cell {(int)cell}."),
    };

    /// <summary>The cell of a stored name; <c>rnn_tanh</c> (PyTorch's mode name) is <see cref="RecurrentCell.Rnn"/>.</summary>
    public static RecurrentCell Cell(string name)
    {
        if (!CellKinds.TryParse(name, out var kind, out var nonlinearity))
            throw new ArgumentException($"unknown cell '{name}'.", nameof(name));
        return kind switch
        {
            CellKind.Lstm => RecurrentCell.Lstm,
            CellKind.Gru => RecurrentCell.Gru,
            CellKind.Rnn => nonlinearity == Nonlinearity.Relu ? RecurrentCell.RnnRelu : RecurrentCell.Rnn,
            CellKind.MinGru => RecurrentCell.MinGru,
            _ => RecurrentCell.MinLstm,
        };
    }

    public static TaskKind Task(ModelTask task) => task switch
    {
        ModelTask.LanguageModel => TaskKind.Lm,
        ModelTask.Classification => TaskKind.Classify,
        ModelTask.Regression => TaskKind.Forecast,
        ModelTask.StepClassification => TaskKind.ClassifySteps,
        ModelTask.StepRegression => TaskKind.ForecastSteps,
        _ => throw new ArgumentOutOfRangeException(nameof(task), $"unknown task {(int)task}."),
    };

    public static ModelTask Task(TaskKind kind) => kind switch
    {
        TaskKind.Lm => ModelTask.LanguageModel,
        TaskKind.Classify => ModelTask.Classification,
        TaskKind.Forecast => ModelTask.Regression,
        TaskKind.ClassifySteps => ModelTask.StepClassification,
        _ => ModelTask.StepRegression,
    };

    public static string OptimizerName(OptimizerKind kind) => kind switch
    {
        OptimizerKind.Adam => "adam",
        OptimizerKind.AdamW => "adamw",
        OptimizerKind.Sgd => "sgd",
        OptimizerKind.RmsProp => "rmsprop",
        _ => throw new ArgumentOutOfRangeException(nameof(kind), $"unknown optimizer {(int)kind}."),
    };

    public static string LossName(RegressionLoss loss) => loss switch
    {
        RegressionLoss.MeanSquaredError => "mse",
        RegressionLoss.MeanAbsoluteError => "mae",
        RegressionLoss.Huber => "huber",
        _ => throw new ArgumentOutOfRangeException(nameof(loss), $"unknown loss {(int)loss}."),
    };
}
