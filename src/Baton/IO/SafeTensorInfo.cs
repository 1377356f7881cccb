namespace Baton.IO;

/// <summary>One tensor's header entry: name, element type, shape and byte range in the data section.</summary>
internal sealed record SafeTensorInfo(string Name, SafeTensorDType DType, long[] Shape, long Begin, long End)
{
    /// <summary>Number of elements (product of the shape; 1 for a scalar).</summary>
    public long ElementCount => Shape.Aggregate(1L, (a, b) => a * b);

    /// <summary>Bytes per element of <paramref name="dtype"/>.</summary>
    public static int ElementSize(SafeTensorDType dtype) => dtype switch
    {
        SafeTensorDType.F64 or SafeTensorDType.I64 => 8,
        SafeTensorDType.F32 or SafeTensorDType.I32 => 4,
        _ => 2,
    };

    /// <summary>The shape as int[] (every model tensor fits).</summary>
    public int[] IntShape => Array.ConvertAll(Shape, d => checked((int)d));
}
