using System.Runtime.Intrinsics.X86;

namespace Microsoft.ML.VideoCaptioning.Engine;

/// <summary>Instruction-set features of this CPU that decide between kernels.</summary>
public static class CpuFeatures
{
    private static readonly Lazy<bool> Bf16 = new(DetectBfloat16);

    /// <summary>
    /// True when the CPU has bfloat16 dot-product instructions (AVX512_BF16: Cooper Lake, Sapphire Rapids and later
    /// Xeons, AMD Zen 4 and later), which oneDNN uses for bf16 matrix products. Without them libtorch emulates bf16 and
    /// is slower than float32. Read with CPUID leaf 7 sub-leaf 1, EAX bit 5 (Linux's /proc/cpuinfo flag
    /// <c>avx512_bf16</c>); false on other architectures.
    /// </summary>
    public static bool HasBfloat16 => Bf16.Value;

    private static bool DetectBfloat16()
    {
        if (!X86Base.IsSupported || !Avx512F.IsSupported) return false;   // Avx512F also means the OS saves the AVX-512 state
        if ((uint)X86Base.CpuId(7, 0).Eax < 1) return false;              // highest sub-leaf of leaf 7
        return (X86Base.CpuId(7, 1).Eax & (1 << 5)) != 0;
    }
}
