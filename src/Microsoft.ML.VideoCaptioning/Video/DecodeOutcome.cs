namespace Microsoft.ML.VideoCaptioning.Video;

/// <summary>How one ffmpeg decoding run ended: frames delivered, exit code, first error lines.</summary>
internal readonly record struct DecodeOutcome(int Delivered, int ExitCode, IReadOnlyList<string> Errors)
{
    /// <summary>ffmpeg exited normally without printing any error.</summary>
    public bool Clean => ExitCode == 0 && Errors.Count == 0;
}
