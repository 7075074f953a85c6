namespace Microsoft.ML.VideoCaptioning.Subtitles;

/// <summary>Subtitle file formats.</summary>
public enum SubtitleFormat
{
    /// <summary>SubRip (<c>.srt</c>): numbered cues, <c>HH:MM:SS,mmm</c> times.</summary>
    Srt,

    /// <summary>WebVTT (<c>.vtt</c>): <c>WEBVTT</c> header, <c>HH:MM:SS.mmm</c> times, HTML-style escapes.</summary>
    WebVtt,
}
