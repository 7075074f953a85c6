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

    // CancellationTokenSource accepts at most int.MaxValue milliseconds; longer budgets mean no limit.
    private static readonly TimeSpan LongestBudget = TimeSpan.FromMilliseconds(int.MaxValue);

    private readonly ToolSession _session;
    private readonly string _tool;
    private readonly Process _process;
    private readonly List<string> _errors = [];
    private readonly Thread _errorReader;
    private readonly CancellationTokenSource _budget;
    private readonly CancellationTokenRegistration _onCancel;
    private readonly CancellationTokenRegistration _onTimeout;
    private readonly Func<string, bool>? _consumeLine;

    private ToolProcess(ToolSession session, string tool, Process process, TimeSpan budget, Func<string, bool>? consumeLine)
    {
        _session = session;
        _tool = tool;
        _process = process;
        _consumeLine = consumeLine;
        // A dedicated thread (not the thread pool, which callers may be blocking) drains standard error.
        _errorReader = new Thread(() => CollectErrors(process.StandardError)) { IsBackground = true, Name = tool + " stderr" };
        _errorReader.Start();
        _budget = new CancellationTokenSource(budget < LongestBudget ? budget : System.Threading.Timeout.InfiniteTimeSpan);
        _onCancel = session.Token.Register(Kill);
        _onTimeout = _budget.Token.Register(Kill);
    }

    /// <summary>Standard output of the process, read as raw bytes.</summary>
    public Stream Output => _process.StandardOutput.BaseStream;

    /// <summary>True once the process was stopped because of cancellation or the time budget.</summary>
    public bool Stopped => _session.Token.IsCancellationRequested || _budget.IsCancellationRequested;

    /// <summary>Starts <paramref name="executable"/>; a start failure is reported as <see cref="VideoDecodeReason.ToolMissing"/>.</summary>
    /// <param name="session">The video's tool session (time budget, cancellation).</param>
    /// <param name="tool">Tool name for messages.</param>
    /// <param name="executable">Path of the executable.</param>
    /// <param name="arguments">Command-line arguments.</param>
    /// <param name="standardInput">Text written to the tool's standard input before it is closed (e.g. a filter script read from <c>pipe:0</c>).</param>
    /// <param name="consumeLine">Sees every standard-error line first, on the reader thread; lines it returns true for are not errors.</param>
    public static ToolProcess Start(ToolSession session, string tool, string executable, IEnumerable<string> arguments,
        string? standardInput = null, Func<string, bool>? consumeLine = null)
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
        var started = new ToolProcess(session, tool, process, budget, consumeLine);
        // Closing the input (after the optional text) also keeps ffmpeg from waiting for keystrokes. Text is written on
        // its own thread: a tool that stops reading must not block the caller (killing it breaks the pipe).
        if (standardInput == null)
            CloseInput(process.StandardInput, null);
        else
            new Thread(() => CloseInput(process.StandardInput, standardInput)) { IsBackground = true, Name = tool + " stdin" }.Start();
        return started;
    }

    private static void CloseInput(StreamWriter input, string? text)
    {
        try
        {
            if (text != null)
                input.Write(text);
            input.Close();
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException)
        {
            // The process already exited (WaitForExit reports how) or was disposed meanwhile.
        }
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
        _errorReader.Join();
        _session.Token.ThrowIfCancellationRequested();
        if (_budget.IsCancellationRequested)
            throw _session.TimeoutError(_tool);
        return (_process.ExitCode, _errors);
    }

    /// <summary>Kills the process if it still runs and releases its pipes.</summary>
    public void Dispose()
    {
        _onCancel.Dispose();
        _onTimeout.Dispose();
        Kill();
        _process.WaitForExit();
        _errorReader.Join();
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

    private void CollectErrors(StreamReader reader)
    {
        try
        {
            while (reader.ReadLine() is { } line)
            {
                if (_consumeLine?.Invoke(line) == true)
                    continue;
                if (_errors.Count < MaxErrorLines && !string.IsNullOrWhiteSpace(line))
                    _errors.Add(line.Trim());
            }
        }
        catch (IOException)
        {
            // The pipe broke because the process was killed.
        }
    }
}
