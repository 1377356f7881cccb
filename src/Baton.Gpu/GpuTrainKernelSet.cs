using ILGPU;
using ILGPU.Runtime;

namespace Baton.Gpu;

/// <summary>The kernels of <see cref="GpuTrainKernels"/> compiled for one accelerator, as launchable delegates.</summary>
internal sealed class GpuTrainKernelSet
{
    public GpuTrainKernelSet(Accelerator acc)
    {
        ArgumentNullException.ThrowIfNull(acc);
        MatMul = acc.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, int, int, ArrayView<float>, int, int, ArrayView<float>, int, int, int>(GpuTrainKernels.MatMul);
        Linear = acc.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int>(GpuTrainKernels.Linear);
        ColumnSum = acc.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, int, int>(GpuTrainKernels.ColumnSum);
        EmbeddingForward = acc.LoadAutoGroupedStreamKernel<Index1D, ArrayView<int>, ArrayView<float>, ArrayView<float>, int>(GpuTrainKernels.EmbeddingForward);
        EmbeddingBackward = acc.LoadAutoGroupedStreamKernel<Index1D, ArrayView<int>, ArrayView<float>, ArrayView<float>, int, int>(GpuTrainKernels.EmbeddingBackward);
        LstmForward = acc.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>,
            ArrayView<float>, ArrayView<float>, ArrayView<int>, int, int>(GpuTrainKernels.LstmForward);
        LstmBackward = acc.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>,
            ArrayView<float>, ArrayView<float>, ArrayView<int>, int, int>(GpuTrainKernels.LstmBackward);
        GruForward = acc.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>,
            ArrayView<int>, int, int>(GpuTrainKernels.GruForward);
        GruBackward = acc.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>,
            ArrayView<float>, ArrayView<int>, int, int>(GpuTrainKernels.GruBackward);
        RnnForward = acc.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<int>, int, int,
            int>(GpuTrainKernels.RnnForward);
        RnnBackward = acc.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<int>, int, int,
            int>(GpuTrainKernels.RnnBackward);
        CrossEntropy = acc.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<int>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int,
            float>(GpuTrainKernels.CrossEntropy);
        MinGruCoefficients = acc.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, int>(GpuTrainKernels.MinGruCoefficients);
        MinGruBackward = acc.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int>(GpuTrainKernels.MinGruBackward);
        MeanSquareError = acc.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, float>(GpuTrainKernels.MeanSquareError);
        MeanSquareGradient = acc.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, float>(GpuTrainKernels.MeanSquareGradient);
        SquaresPartial = acc.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<double>, int>(GpuTrainKernels.SquaresPartial);
        Scale = acc.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, float>(GpuTrainKernels.Scale);
        Clamp = acc.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, float>(GpuTrainKernels.Clamp);
        Copy = acc.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>>(GpuTrainKernels.Copy);
        Adam = acc.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>,
            AdamCoefficients>(GpuTrainKernels.Adam);
        Sgd = acc.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, float, float, float, float, int>(GpuTrainKernels.Sgd);
    }

    public Action<Index1D, ArrayView<float>, int, int, ArrayView<float>, int, int, ArrayView<float>, int, int, int> MatMul { get; }
    public Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int> Linear { get; }
    public Action<Index1D, ArrayView<float>, ArrayView<float>, int, int> ColumnSum { get; }
    public Action<Index1D, ArrayView<int>, ArrayView<float>, ArrayView<float>, int> EmbeddingForward { get; }
    public Action<Index1D, ArrayView<int>, ArrayView<float>, ArrayView<float>, int, int> EmbeddingBackward { get; }
    public Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<int>, int, int> LstmForward { get; }
    public Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<int>, int, int> LstmBackward { get; }
    public Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<int>, int, int> GruForward { get; }
    public Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<int>, int, int> GruBackward { get; }
    public Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<int>, int, int, int> RnnForward { get; }
    public Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<int>, int, int, int> RnnBackward { get; }
    public Action<Index1D, ArrayView<float>, ArrayView<int>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int, float> CrossEntropy { get; }
    public Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, float> MeanSquareError { get; }
    public Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, int> MinGruCoefficients { get; }
    public Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int> MinGruBackward { get; }
    public Action<Index1D, ArrayView<float>, ArrayView<float>, float> MeanSquareGradient { get; }
    public Action<Index1D, ArrayView<float>, ArrayView<double>, int> SquaresPartial { get; }
    public Action<Index1D, ArrayView<float>, float> Scale { get; }
    public Action<Index1D, ArrayView<float>, float> Clamp { get; }
    public Action<Index1D, ArrayView<float>, ArrayView<float>> Copy { get; }
    public Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, AdamCoefficients> Adam { get; }
    public Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, float, float, float, float, int> Sgd { get; }
}
