namespace Baton.Training;

/// <summary>How a forecaster puts its target columns on a common scale.</summary>
internal enum ForecastNormalisation
{
    /// <summary>(y − mean) / std with the training part's mean and std: the network predicts absolute levels.</summary>
    Global,

    /// <summary>
    /// (y − level) / std, where level is the mean of the window's last season of target values (the last value
    /// without a season), recomputed for every window and added back to the output (RevIN-style): the network
    /// predicts the change from the window's recent level, so a level never seen in training is no obstacle.
    /// </summary>
    Window,
}
