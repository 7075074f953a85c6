namespace Microsoft.ML.VideoCaptioning.Engine;

/// <summary>An error raised by libtorch, with the operation and the shapes of its inputs.</summary>
public sealed class TorchException : Exception
{
    /// <summary>Creates the exception.</summary>
    public TorchException(string message) : base(message) { }

    internal static TorchException For(string op, params Tensor?[] inputs)
    {
        var shapes = string.Join(", ", inputs.Select(t => t == null ? "none" : t.Describe()));
        return new TorchException($"{op}({shapes}) failed: {Native.LastError}");
    }
}
