namespace Microsoft.ML.VideoCaptioning.Engine;

/// <summary>Element types of a <see cref="Tensor"/>. The numeric codes are shared with the native shim.</summary>
public enum DType
{
    Float32 = 0,
    Float16 = 1,
    BFloat16 = 2,
    Int64 = 3,
    Bool = 4,
    UInt8 = 5,
    Int32 = 6,
    Float64 = 7,
}

/// <summary>Helpers for <see cref="DType"/>.</summary>
public static class DTypes
{
    /// <summary>Bytes per element.</summary>
    public static int ElementSize(this DType t) => t switch
    {
        DType.Float32 or DType.Int32 => 4,
        DType.Float16 or DType.BFloat16 => 2,
        DType.Int64 or DType.Float64 => 8,
        DType.Bool or DType.UInt8 => 1,
        _ => throw new ArgumentOutOfRangeException(nameof(t)),
    };

    /// <summary>True for floating-point types.</summary>
    public static bool IsFloatingPoint(this DType t) =>
        t is DType.Float32 or DType.Float16 or DType.BFloat16 or DType.Float64;

    /// <summary>Parses "float32"/"fp32"/"f32", "bfloat16"/"bf16", "float16"/"fp16"/"half".</summary>
    public static DType Parse(string s) => s.Trim().ToLowerInvariant() switch
    {
        "float32" or "fp32" or "f32" or "float" => DType.Float32,
        "bfloat16" or "bf16" => DType.BFloat16,
        "float16" or "fp16" or "f16" or "half" => DType.Float16,
        _ => throw new ArgumentException($"Unknown floating-point type '{s}'. Use float32, bfloat16 or float16."),
    };

    /// <summary>Short lower-case name (float32, bfloat16, float16, int64, …).</summary>
    public static string Name(this DType t) => t switch
    {
        DType.Float32 => "float32",
        DType.Float16 => "float16",
        DType.BFloat16 => "bfloat16",
        DType.Int64 => "int64",
        DType.Bool => "bool",
        DType.UInt8 => "uint8",
        DType.Int32 => "int32",
        DType.Float64 => "float64",
        _ => t.ToString(),
    };
}
