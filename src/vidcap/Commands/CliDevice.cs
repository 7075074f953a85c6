using Microsoft.ML.VideoCaptioning.Engine;

namespace Microsoft.ML.VideoCaptioning.Cli.Commands;

/// <summary>The <c>--device</c> option's values, checked against what this machine can do.</summary>
internal static class CliDevice
{
    /// <summary>
    /// The GPU index for <c>MLContext.GpuDeviceId</c> (null = the CPU) from cpu, cuda, cuda:N or auto. A device this
    /// machine or build cannot use is a usage error (exit code 2) with the engine's explanation.
    /// </summary>
    public static int? GpuId(string value)
    {
        try
        {
            var d = Device.Parse(value).EnsureAvailable();
            return d.IsCuda ? d.Index : null;
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException)
        {
            throw new UsageException(e.Message);
        }
    }
}
