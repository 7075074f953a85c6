using Microsoft.ML;
using Microsoft.ML.Runtime;

namespace Microsoft.ML.VideoCaptioning;

/// <summary>
/// Why videos failed: the sampler and the featurizer give a failed video an empty value and write a warning
/// "<c>video path: reason</c>" to <c>MLContext.Log</c>; this collects those warnings so that a caller (the CLI, the server)
/// can name the reason next to the video. Thread-safe; stop collecting with <see cref="Dispose"/>.
/// </summary>
public sealed class VideoFailureLog : IDisposable
{
    private const string Separator = ": ";
    private readonly MLContext _ml;
    private readonly Dictionary<string, string> _reasons = new();

    /// <summary>Starts collecting the failures reported to <paramref name="ml"/>'s log.</summary>
    public VideoFailureLog(MLContext ml)
    {
        _ml = ml;
        _ml.Log += OnLog;
    }

    /// <summary>The warning our components write for a video that failed.</summary>
    internal static string Message(string video, string reason) => video + Separator + reason;

    private void OnLog(object? sender, LoggingEventArgs e)
    {
        if (e.Kind != ChannelMessageKind.Warning) return;
        int cut = e.RawMessage.IndexOf(Separator, StringComparison.Ordinal);
        if (cut > 0) lock (_reasons) _reasons[e.RawMessage[..cut]] = e.RawMessage[(cut + Separator.Length)..];
    }

    /// <summary>The reason <paramref name="video"/> failed, when one was reported, and forgets it.</summary>
    public string? Take(string video)
    {
        lock (_reasons)
            return _reasons.Remove(Path.GetFullPath(video), out var reason) || _reasons.Remove(video, out reason) ? reason : null;
    }

    public void Dispose() => _ml.Log -= OnLog;
}
