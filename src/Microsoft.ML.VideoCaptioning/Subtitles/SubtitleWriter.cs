using System.Globalization;
using System.Text;

namespace Microsoft.ML.VideoCaptioning.Subtitles;

/// <summary>
/// Writes SRT and WebVTT that players accept: cues numbered from 1, times in whole milliseconds that never go backwards
/// (a cue starts no earlier than the previous one ends and lasts at least 1 ms), and text that cannot break the format —
/// blank lines (which would end a cue) are dropped, and <c>--&gt;</c> (which would read as a timing line) cannot appear:
/// WebVTT escapes <c>&amp;</c>, <c>&lt;</c> and <c>&gt;</c> as character references; SubRip, which has no escapes, gets
/// <c>-&gt;</c> for <c>--&gt;</c> and <c>‹</c> for <c>&lt;</c> (players read <c>&lt;i&gt;</c> and the like as markup).
/// </summary>
public static class SubtitleWriter
{
    /// <summary>Writes <paramref name="cues"/> (in time order) in <paramref name="format"/>.</summary>
    public static void Write(TextWriter writer, IEnumerable<SubtitleCue> cues, SubtitleFormat format)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(cues);
        writer.NewLine = "\n";
        if (format == SubtitleFormat.WebVtt)
        {
            writer.WriteLine("WEBVTT");
            writer.WriteLine();
        }
        long previousEnd = 0;
        int number = 0;
        foreach (var cue in cues)
        {
            string text = Clean(cue.Text, format);
            if (text.Length == 0)
                continue;
            long start = Math.Max(Milliseconds(cue.Start), previousEnd);
            long end = Math.Max(Milliseconds(cue.End), start + 1);
            previousEnd = end;
            writer.WriteLine((++number).ToString(CultureInfo.InvariantCulture));
            writer.WriteLine($"{Time(start, format)} --> {Time(end, format)}");
            writer.WriteLine(text);
            writer.WriteLine();
        }
    }

    /// <summary>The subtitles as a string.</summary>
    public static string ToString(IEnumerable<SubtitleCue> cues, SubtitleFormat format)
    {
        using var writer = new StringWriter(CultureInfo.InvariantCulture);
        Write(writer, cues, format);
        return writer.ToString();
    }

    /// <summary>Writes a file (UTF-8 without a byte-order mark), atomically.</summary>
    public static void WriteFile(string path, IEnumerable<SubtitleCue> cues, SubtitleFormat format)
    {
        string tmp = path + ".tmp";
        File.WriteAllText(tmp, ToString(cues, format), new UTF8Encoding(false));
        File.Move(tmp, path, overwrite: true);
    }

    private static string Clean(string text, SubtitleFormat format)
    {
        var lines = text.Replace("\r\n", "\n").Replace('\r', '\n').Split('\n')
            .Select(line => line.Trim())
            .Where(line => line.Length > 0)
            .Select(line => format == SubtitleFormat.WebVtt
                ? line.Replace("&", "&amp;").Replace("<", "&lt;").Replace(">", "&gt;")
                : line.Replace("-->", "->").Replace('<', '‹'));
        return string.Join("\n", lines);
    }

    private static long Milliseconds(double seconds) =>
        double.IsFinite(seconds) && seconds > 0 ? (long)Math.Round(seconds * 1000, MidpointRounding.AwayFromZero) : 0;

    private static string Time(long ms, SubtitleFormat format)
    {
        char separator = format == SubtitleFormat.Srt ? ',' : '.';
        return string.Create(CultureInfo.InvariantCulture, $"{ms / 3_600_000:00}:{ms / 60_000 % 60:00}:{ms / 1000 % 60:00}{separator}{ms % 1000:000}");
    }
}
