namespace Microsoft.ML.VideoCaptioning.Engine;

/// <summary>Where a tensor lives: the CPU or one CUDA device.</summary>
public readonly record struct Device(DeviceType Type, int Index = 0)
{
    /// <summary>The CPU.</summary>
    public static readonly Device Cpu = new(DeviceType.Cpu, 0);

    /// <summary>CUDA device <paramref name="index"/>.</summary>
    public static Device Cuda(int index = 0) => new(DeviceType.Cuda, index);

    /// <summary>True for a CUDA device.</summary>
    public bool IsCuda => Type == DeviceType.Cuda;

    /// <summary>Parses "cpu", "cuda", "cuda:1", or "auto" (CUDA when available, else CPU).</summary>
    public static Device Parse(string s)
    {
        var v = s.Trim().ToLowerInvariant();
        if (v == "cpu") return Cpu;
        if (v == "auto") return Torch.CudaIsAvailable ? Cuda(0) : Cpu;
        if (v == "cuda") return Cuda(0);
        if (v.StartsWith("cuda:", StringComparison.Ordinal) && int.TryParse(v.AsSpan(5), out var i) && i >= 0) return Cuda(i);
        throw new ArgumentException($"Unknown device '{s}'. Use cpu, cuda, cuda:N or auto.");
    }

    /// <summary>Throws a clear error when this is a CUDA device that the engine cannot use.</summary>
    public Device EnsureAvailable()
    {
        if (!IsCuda) return this;
        if (!Torch.CudaIsAvailable)
            throw new InvalidOperationException(
                $"Device {this} was requested but CUDA is not available: " +
                (Torch.CudaBuilt ? "no NVIDIA GPU or driver was found." : "the native shim was built against a CPU-only libtorch. " +
                 "Build it against a CUDA libtorch: TORCH_DIR=<libtorch> ./build.sh (or PYTHON=python3 with a CUDA PyTorch)."));
        if (Index >= Torch.CudaDeviceCount)
            throw new InvalidOperationException($"Device {this} was requested but only {Torch.CudaDeviceCount} CUDA device(s) exist.");
        return this;
    }

    /// <inheritdoc/>
    public override string ToString() => IsCuda ? $"cuda:{Index}" : "cpu";
}

/// <summary>Device kinds. The numeric codes are shared with the native shim.</summary>
public enum DeviceType
{
    Cpu = 0,
    Cuda = 1,
}
