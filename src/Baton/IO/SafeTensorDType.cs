namespace Baton.IO;

/// <summary>Element types of the safetensors format that Baton reads (all converted to float32 or int64).</summary>
internal enum SafeTensorDType
{
    /// <summary>IEEE single precision ("F32").</summary>
    F32,
    /// <summary>IEEE double precision ("F64"), read as float32.</summary>
    F64,
    /// <summary>IEEE half precision ("F16"), read as float32.</summary>
    F16,
    /// <summary>bfloat16 ("BF16"), read as float32.</summary>
    BF16,
    /// <summary>64-bit signed integer ("I64").</summary>
    I64,
    /// <summary>32-bit signed integer ("I32").</summary>
    I32,
}
