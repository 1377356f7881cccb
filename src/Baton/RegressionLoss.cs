namespace Baton;

/// <summary>
/// The loss that <see cref="RecurrentModel.Fit"/> minimises for the regression tasks, over the n predicted values p and
/// their targets y (both standardised when the model standardises, see <see cref="RecurrentModelOptions.Standardize"/>),
/// d = p − y. Classification tasks always minimise the cross-entropy −log softmax(z)[label], averaged.
/// </summary>
public enum RegressionLoss
{
    /// <summary><c>F.mse_loss</c>: (1/n) Σ d².</summary>
    MeanSquaredError,

    /// <summary><c>F.l1_loss</c>: (1/n) Σ |d|.</summary>
    MeanAbsoluteError,

    /// <summary><c>F.huber_loss</c>: (1/n) Σ (½d² if |d| &lt; δ, else δ(|d| − ½δ)), δ = <see cref="FitOptions.HuberDelta"/>.</summary>
    Huber,
}
