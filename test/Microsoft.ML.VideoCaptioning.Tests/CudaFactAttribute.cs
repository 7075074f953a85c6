using Microsoft.ML.VideoCaptioning.Engine;

namespace Microsoft.ML.VideoCaptioning.Tests;

/// <summary>A fact that runs only when a CUDA device is usable; otherwise it is reported as skipped, with the reason.</summary>
public sealed class CudaFactAttribute : FactAttribute
{
    public CudaFactAttribute()
    {
        if (!Torch.CudaIsAvailable)
            Skip = Torch.CudaBuilt ? "no CUDA device on this machine" : "no CUDA: the native shim was built against a CPU-only libtorch";
    }
}
