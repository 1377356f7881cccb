using Baton.Layers;

namespace Baton.Training;

/// <summary>
/// A first-order optimizer over the flat <see cref="Parameters"/> block: one loop over Data/Grad with state
/// arrays of the same length. Update formulas are PyTorch's (torch.optim, single-tensor path), with scalar
/// hyper-parameters cast to float32 as PyTorch's CPU kernels do.
/// </summary>
internal abstract class Optimizer
{
    private readonly Dictionary<string, float[]> state = new(StringComparer.Ordinal);

    /// <summary>Binds the optimizer to <paramref name="parameters"/> (which must be frozen).</summary>
    protected Optimizer(Parameters parameters, OptimizerOptions options)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        ArgumentNullException.ThrowIfNull(options);
        if (!parameters.IsFrozen)
            throw new ArgumentException("Parameters must be frozen before an optimizer binds to them.", nameof(parameters));
        if (!(options.LearningRate >= 0))
            throw new ArgumentOutOfRangeException(nameof(options), $"learning rate {options.LearningRate} must be >= 0.");
        Parameters = parameters;
        Options = options;
        LearningRate = options.LearningRate;
    }

    /// <summary>The parameters updated.</summary>
    public Parameters Parameters { get; }

    /// <summary>The hyper-parameters.</summary>
    public OptimizerOptions Options { get; }

    /// <summary>Learning rate of the next <see cref="Step"/> (a schedule sets it before each step).</summary>
    public double LearningRate { get; set; }

    /// <summary>Number of steps taken (PyTorch's <c>state["step"]</c>); restored from checkpoints.</summary>
    public long StepCount { get; set; }

    /// <summary>The named state arrays (e.g. <c>exp_avg</c>), each as long as the parameter block; saved in checkpoints.</summary>
    public IReadOnlyDictionary<string, float[]> State => state;

    /// <summary>Registers a zeroed state array.</summary>
    protected float[] AddState(string name)
    {
        var array = new float[Parameters.Count];
        state.Add(name, array);
        return array;
    }

    /// <summary>Applies one update from the current gradients and increments <see cref="StepCount"/>.</summary>
    public void Step()
    {
        StepCount++;
        Update(Parameters.Data, Parameters.Grad);
        Parameters.MarkChanged();
    }

    /// <summary>The update of step <see cref="StepCount"/> (already incremented).</summary>
    protected abstract void Update(Span<float> p, ReadOnlySpan<float> g);

    /// <summary>Creates the optimizer that <paramref name="options"/> names.</summary>
    public static Optimizer Create(OptimizerOptions options, Parameters parameters)
    {
        ArgumentNullException.ThrowIfNull(options);
        return options.Kind switch
        {
            "sgd" => new Sgd(parameters, options),
            "adam" => new Adam(parameters, options, decoupled: false),
            "adamw" => new Adam(parameters, options, decoupled: true),
            "rmsprop" => new RmsProp(parameters, options),
            _ => throw new ArgumentException($"Unknown optimizer '{options.Kind}' (sgd, adam, adamw, rmsprop).", nameof(options)),
        };
    }
}
