using Baton.Models;

namespace Baton;

/// <summary>The one map between the public enums and the strings that model files, checkpoints and the trainer store.</summary>
internal static class ApiNames
{
    private static readonly (RecurrentCell Cell, string Name)[] Cells =
    [
        (RecurrentCell.Lstm, "lstm"), (RecurrentCell.Gru, "gru"), (RecurrentCell.Rnn, "rnn"), (RecurrentCell.RnnRelu, "rnn_relu"),
        (RecurrentCell.MinGru, "mingru"), (RecurrentCell.MinLstm, "minlstm"),
    ];

    public static string CellName(RecurrentCell cell)
    {
        foreach (var (c, name) in Cells)
        {
            if (c == cell)
                return name;
        }
        throw new ArgumentOutOfRangeException(nameof(cell), $"unknown cell {(int)cell}.");
    }

    /// <summary>The cell of a stored name; <c>rnn_tanh</c> (PyTorch's mode name) is <see cref="RecurrentCell.Rnn"/>.</summary>
    public static RecurrentCell Cell(string name)
    {
        if (name == "rnn_tanh")
            return RecurrentCell.Rnn;
        foreach (var (cell, n) in Cells)
        {
            if (n == name)
                return cell;
        }
        throw new ArgumentException($"unknown cell '{name}'.", nameof(name));
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
