using System.ComponentModel;
using System.Diagnostics;

namespace Microsoft.ML.VideoCaptioning.Video;

/// <summary>
/// One running ffmpeg or ffprobe: standard output as a binary stream, standard error collected in the
/// background (first lines kept). The process (with its children) is killed on <see cref="Dispose"/>, when the
/// session's token is cancelled and when the session's time budget runs out.
/// </summary>
internal sealed class ToolProcess : IDisposable
{
    private const int MaxErrorLines = 20;

    private readonly ToolSession _session;
    private readonly string _tool;
    private readonly Process _process;
    private readonly Task<List<string>> _errors;
    private readonly CancellationTokenSource _budget;
    private readonly CancellationTokenRegistration _onCancel;
    private readonly CancellationTokenRegistration _onTimeout;

    private ToolProcess(ToolSession session, string tool, Process process, TimeSpan budget)
    {
        _session = session;
        _tool = tool;
        _process = process;
        _process.StandardInput.Close();
        _errors = Task.Run(() => CollectErrors(process.StandardError));
        _budget = new CancellationTokenSource(budget);
        _onCancel = session.Token.Register(Kill);
        _onTimeout = _budget.Token.Register(Kill);
    }

    /// <summary>Standard output of the process, read as raw bytes.</summary>
    public Stream Output => _process.StandardOutput.BaseStream;

    /// <summary>True once the process was stopped because of cancellation or the time budget.</summary>
    public bool Stopped => _session.Token.IsCancellationRequested || _budget.IsCancellationRequested;

    /// <summary>Starts <paramref name="executable"/>; a start failure is reported as <see cref="VideoDecodeReason.ToolMissing"/>.</summary>
    public static ToolProcess Start(ToolSession session, string tool, string executable, IEnumerable<string> arguments)
    {
        session.Token.ThrowIfCancellationRequested();
        TimeSpan budget = session.Remaining;
        if (budget <= TimeSpan.Zero)
            throw session.TimeoutError(tool);
        var info = new ProcessStartInfo(executable)
        {
            UseShellExecute = false,
            CreateNoWindow = true,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (string argument in arguments)
            info.ArgumentList.Add(argument);
        Process process;
        try
        {
            process = Process.Start(info) ?? throw new Win32Exception($"{executable} did not start");
        }
        catch (Win32Exception e)
        {
            throw MediaTools.Missing(tool, $"'{executable}' could not be started ({e.Message})", session.VideoPath, e);
        }
        return new ToolProcess(session, tool, process, budget);
    }

    /// <summary>Reads standard output to the end as text.</summary>
    public string ReadOutputText()
    {
        try
        {
            return _process.StandardOutput.ReadToEnd();
        }
        catch (IOException) when (Stopped)
        {
            return "";
        }
    }

    /// <summary>
    /// Waits for the process to exit and returns its exit code and first standard-error lines. Throws
    /// <see cref="OperationCanceledException"/> when it was cancelled and a <see cref="VideoDecodeReason.Timeout"/>
    /// error when it ran out of time.
    /// </summary>
    public (int ExitCode, IReadOnlyList<string> Errors) WaitForExit()
    {
        _process.WaitForExit();
        List<string> errors = _errors.GetAwaiter().GetResult();
        _session.Token.ThrowIfCancellationRequested();
        if (_budget.IsCancellationRequested)
            throw _session.TimeoutError(_tool);
        return (_process.ExitCode, errors);
    }

    /// <summary>Kills the process if it still runs and releases its pipes.</summary>
    public void Dispose()
    {
        _onCancel.Dispose();
        _onTimeout.Dispose();
        Kill();
        _process.WaitForExit();
        _errors.Wait();
        _process.Dispose();
        _budget.Dispose();
    }

    private void Kill()
    {
        try
        {
            if (!_process.HasExited)
                _process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // Exited between the check and the kill.
        }
        catch (Win32Exception)
        {
            // Exiting while being killed.
        }
    }

    private static async Task<List<string>> CollectErrors(StreamReader reader)
    {
        var lines = new List<string>();
        while (await reader.ReadLineAsync().ConfigureAwait(false) is { } line)
        {
            if (lines.Count < MaxErrorLines && !string.IsNullOrWhiteSpace(line))
                lines.Add(line.Trim());
        }
        return lines;
    }
}
