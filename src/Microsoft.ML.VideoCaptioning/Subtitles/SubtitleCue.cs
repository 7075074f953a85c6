namespace Microsoft.ML.VideoCaptioning.Subtitles;

/// <summary>One subtitle: text shown from <see cref="Start"/> to <see cref="End"/> seconds.</summary>
/// <param name="Start">Start in seconds.</param>
/// <param name="End">End in seconds.</param>
/// <param name="Text">The text, lines separated by '\n'.</param>
public sealed record SubtitleCue(double Start, double End, string Text);
