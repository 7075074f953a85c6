using System.CommandLine;
using System.Text.Json;
using Microsoft.ML.VideoCaptioning.Engine;

namespace Microsoft.ML.VideoCaptioning.Cli.Commands;

/// <summary>Options shared by several commands, defined once, with one way of refusing what this machine cannot do.</summary>
internal static class CliOptions
{
    public static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    /// <summary><c>--device</c>: cpu, cuda, cuda:N or auto.</summary>
    public static Option<string> Device() => new("--device") { Description = "cpu, cuda, cuda:N or auto", DefaultValueFactory = _ => "cpu" };

    /// <summary><c>--json</c>: machine-readable output.</summary>
    public static Option<bool> Json() => new("--json") { Description = "Print the result as JSON" };

    /// <summary>
    /// The device named by <c>--device</c>, checked against this machine and build. One it cannot use is a usage error
    /// (exit code 2) with the engine's explanation, the same for every command.
    /// </summary>
    public static Engine.Device ParseDevice(string value)
    {
        try
        {
            return Engine.Device.Parse(value).EnsureAvailable();
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException)
        {
            throw new UsageException(e.Message);
        }
    }

    /// <summary>The GPU index for <c>MLContext.GpuDeviceId</c> (null = the CPU), as <see cref="ParseDevice"/> checks it.</summary>
    public static int? GpuId(string value) => ParseDevice(value) is { IsCuda: true } d ? d.Index : null;
}
