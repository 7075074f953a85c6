using System.Diagnostics;

namespace Microsoft.ML.VideoCaptioning.Tests.Cli;

/// <summary>
/// The built vidcap program (vidcap.dll next to the tests), or a script that runs it, as a separate process, with the
/// launcher variables of Kubernetes and Slurm removed from its environment unless a test sets them.
/// </summary>
public sealed class VidcapProcess : IDisposable
{
    private static readonly string[] LauncherVariables = ["JOB_COMPLETION_INDEX", "VIDCAP_SHARD_COUNT"];

    private readonly Process _process;
    private readonly Task<string> _stdout, _stderr;

    /// <summary>The dotnet host running the tests.</summary>
    private static string DotnetHost => Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host ? host : "dotnet";

    /// <summary>The vidcap launcher next to the tests (for scripts that run <c>vidcap</c> by name).</summary>
    public static string Launcher => Path.Combine(AppContext.BaseDirectory, "vidcap");

    /// <summary>Starts <c>vidcap <paramref name="args"/></c>.</summary>
    public VidcapProcess(IEnumerable<string> args, IReadOnlyDictionary<string, string>? environment = null)
        : this(DotnetHost, [Path.Combine(AppContext.BaseDirectory, "vidcap.dll"), .. args], environment)
    {
    }

    private VidcapProcess(string executable, IEnumerable<string> args, IReadOnlyDictionary<string, string>? environment)
    {
        var psi = new ProcessStartInfo(executable) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
        // the launcher finds the runtime of the tests
        if (File.Exists(DotnetHost))
            psi.Environment["DOTNET_ROOT"] = Path.GetDirectoryName(new FileInfo(DotnetHost).ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? Path.GetFullPath(DotnetHost));
        foreach (var name in psi.Environment.Keys.Where(k => LauncherVariables.Contains(k) || k.StartsWith("SLURM_", StringComparison.Ordinal)).ToList())
            psi.Environment.Remove(name);
        foreach (var (k, v) in environment ?? new Dictionary<string, string>()) psi.Environment[k] = v;
        _process = Process.Start(psi)!;
        _stdout = _process.StandardOutput.ReadToEndAsync();
        _stderr = _process.StandardError.ReadToEndAsync();
    }

    public bool HasExited => _process.HasExited;

    /// <summary>Waits for the exit (at most <paramref name="timeout"/>, then kills it and fails).</summary>
    public (int Code, string Out, string Err) Wait(TimeSpan? timeout = null)
    {
        if (!_process.WaitForExit(timeout ?? TimeSpan.FromMinutes(3)))
        {
            _process.Kill(entireProcessTree: true);
            throw new TimeoutException($"vidcap did not finish: {_stderr.Result}");
        }
        _process.WaitForExit();
        return (_process.ExitCode, _stdout.Result, _stderr.Result);
    }

    /// <summary>Kills the process and its children (ffmpeg/ffprobe), like a lost node or an evicted pod; returns its exit code.</summary>
    public int Kill()
    {
        _process.Kill(entireProcessTree: true);
        _process.WaitForExit();
        return _process.ExitCode;
    }

    /// <summary>Runs vidcap to completion.</summary>
    public static (int Code, string Out, string Err) Run(IEnumerable<string> args, IReadOnlyDictionary<string, string>? environment = null)
    {
        using var p = new VidcapProcess(args, environment);
        return p.Wait();
    }

    /// <summary>Runs a bash script (one that starts vidcap) to completion.</summary>
    public static (int Code, string Out, string Err) RunScript(string script, IEnumerable<string> args, IReadOnlyDictionary<string, string> environment)
    {
        using var p = new VidcapProcess("bash", [script, .. args], environment);
        return p.Wait();
    }

    public void Dispose()
    {
        if (!_process.HasExited) _process.Kill(entireProcessTree: true);
        _process.Dispose();
    }
}
