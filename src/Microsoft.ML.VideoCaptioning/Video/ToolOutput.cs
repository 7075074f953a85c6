namespace Microsoft.ML.VideoCaptioning.Video;

/// <summary>Result of an ffprobe run: exit code, standard output, first standard-error lines.</summary>
internal readonly record struct ToolOutput(int ExitCode, string Text, IReadOnlyList<string> Errors);
