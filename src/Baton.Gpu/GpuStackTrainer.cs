using System.Runtime.InteropServices;
using Baton.Layers;
using ILGPU;
using ILGPU.Runtime;

namespace Baton.Gpu;

/// <summary>
/// A bare recurrent stack (<see cref="RecurrentStack"/>'s weights, PyTorch names under <c>rnn.</c>) held on an accelerator with a
/// fixed input x [T, B, I] in device memory: the benchmark set's training step (forward over T, loss mean(y²) over the last
/// layer's output, backward, one SGD update p += −lr·g) and its streaming step (batch 1, one step forward, state carried).
/// <see cref="Step"/> and <see cref="StreamStep"/> queue the work; <see cref="GpuDevice.Synchronize"/> waits for it.
/// </summary>
internal sealed class GpuStackTrainer : IDisposable
{
    private readonly GpuTrainKernelSet k;
    private readonly GpuRecurrentStack stack;
    private readonly MemoryBuffer1D<float, Stride1D.Dense> parameters, gradients, unused;   // [P], [P], [1]
    private readonly MemoryBuffer1D<float, Stride1D.Dense> x;                                // [T, B, I]
    private readonly int T, B, I;

    /// <summary>Uploads the weights of <paramref name="stack"/> (its <paramref name="parameters"/>) and <paramref name="input"/> [T, B, I].</summary>
    public GpuStackTrainer(GpuDevice device, RecurrentStack stack, Parameters parameters, ReadOnlySpan<float> input, int steps, int batch)
    {
        ArgumentNullException.ThrowIfNull(device);
        ArgumentNullException.ThrowIfNull(stack);
        ArgumentNullException.ThrowIfNull(parameters);
        var o = stack.Options;
        if (o.Bidirectional || o.ProjSize > 0 || o.Dropout > 0)
            throw new NotSupportedException("The device stack is unidirectional, without projection or dropout.");
        if (input.Length != steps * batch * o.InputSize)
            throw new ArgumentException($"x holds {input.Length} values, T·B·I = {steps * batch * o.InputSize} expected.", nameof(input));
        var acc = device.Accelerator;
        (T, B, I) = (steps, batch, o.InputSize);
        k = new GpuTrainKernelSet(acc);
        this.stack = new GpuRecurrentStack(acc, k, CellKinds.Name(o.Cell, o.Nonlinearity), o.InputSize, o.HiddenSize, o.Layers, parameters, "rnn.", steps, batch);
        this.parameters = acc.Allocate1D<float>(parameters.Count);
        gradients = acc.Allocate1D<float>(parameters.Count);
        unused = acc.Allocate1D<float>(1);
        x = acc.Allocate1D<float>(input.Length);
        this.parameters.View.CopyFromCPU(parameters.Data);
        x.View.CopyFromCPU(ref MemoryMarshal.GetReference(input), input.Length);
    }

    /// <summary>One training step from a zero state: forward, dy = 2y / (T·B·H), zeroed gradients, backward, p += −<paramref name="learningRate"/>·g.</summary>
    public void Step(float learningRate)
    {
        stack.ResetState();
        stack.Forward(parameters.View, x.View, T, B);
        var y = stack.Output;
        k.MeanSquareGradient(y.IntLength, y, stack.DOutput, 2f / y.Length);
        gradients.View.MemSetToZero();
        stack.Backward(parameters.View, gradients.View, x.View, default);
        k.Sgd(parameters.IntExtent, parameters.View, gradients.View, unused.View, 0f, 0f, 1f, -learningRate, 0);
    }

    /// <summary>One streaming step: the first step of x for every stream from the carried state, then the state carried on.</summary>
    public void StreamStep()
    {
        stack.Forward(parameters.View, x.View.SubView(0, (long)B * I), 1, B);
        stack.CarryState();
    }

    /// <summary>Copies the device's weights into <paramref name="target"/> (the host layout).</summary>
    public void CopyWeightsTo(Span<float> target)
    {
        parameters.View.SubView(0, target.Length).CopyToCPU(ref MemoryMarshal.GetReference(target), target.Length);
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        stack.Dispose();
        parameters.Dispose();
        gradients.Dispose();
        unused.Dispose();
        x.Dispose();
    }
}
