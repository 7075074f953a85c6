using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;

namespace Microsoft.ML.VideoCaptioning.Subtitles;

/// <summary>
/// Reads SRT and WebVTT cues (times and text; WebVTT cue settings, comments, styles and regions are skipped, character
/// references decoded). The format is told by the <c>WEBVTT</c> header.
/// </summary>
public static partial class SubtitleParser
{
    /// <summary>The cues of a subtitle file's text.</summary>
    /// <exception cref="FormatException">A timing line cannot be read.</exception>
    public static IReadOnlyList<SubtitleCue> Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        text = text.TrimStart('\uFEFF').Replace("\r\n", "\n").Replace('\r', '\n');
        bool vtt = text.StartsWith("WEBVTT", StringComparison.Ordinal);
        var cues = new List<SubtitleCue>();
        foreach (string block in BlankLines().Split(text))
        {
            var lines = block.Split('\n').Where(l => l.Length > 0).ToList();
            int timing = lines.FindIndex(l => l.Contains("-->"));
            if (timing < 0 || (vtt && (lines[0].StartsWith("NOTE") || lines[0].StartsWith("STYLE") || lines[0].StartsWith("REGION"))))
                continue;
            string[] parts = lines[timing].Split("-->", 2);
            double start = Seconds(parts[0].Trim()), end = Seconds(parts[1].Trim().Split(' ', '\t')[0]);
            var body = lines.Skip(timing + 1).Select(l => vtt ? WebUtility.HtmlDecode(l) : l);
            cues.Add(new SubtitleCue(start, end, string.Join("\n", body)));
        }
        return cues;
    }

    // [HH:]MM:SS(,|.)mmm
    private static double Seconds(string time)
    {
        var m = TimePattern().Match(time);
        if (!m.Success)
            throw new FormatException($"'{time}' is not a subtitle time (HH:MM:SS,mmm or HH:MM:SS.mmm).");
        double hours = m.Groups[1].Success ? int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture) : 0;
        return hours * 3600 + int.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture) * 60
            + int.Parse(m.Groups[3].Value, CultureInfo.InvariantCulture) + int.Parse(m.Groups[4].Value, CultureInfo.InvariantCulture) / 1000.0;
    }

    [GeneratedRegex(@"\n{2,}")]
    private static partial Regex BlankLines();

    [GeneratedRegex(@"^(?:(\d+):)?(\d{2}):(\d{2})[,.](\d{3})$")]
    private static partial Regex TimePattern();
}
