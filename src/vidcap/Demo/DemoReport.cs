using System.Globalization;
using System.Net;
using System.Text;
using Microsoft.ML.VideoCaptioning.Data;
using Microsoft.ML.VideoCaptioning.Training;
using Microsoft.ML.VideoCaptioning.Video;

namespace Microsoft.ML.VideoCaptioning.Cli.Demo;

/// <summary>
/// The demo's report.html: metrics table (with the constant-caption baseline), per-attribute accuracy, the loss curve
/// (inline SVG), held-out clips as GIFs with their predicted caption drawn on, next to the references, and the timeline
/// strip of a long video (a thumbnail per window with its caption). Self-contained apart from the images beside it; no scripts.
/// </summary>
public static class DemoReport
{
    public static string Write(string root, IReadOnlyList<VideoCaptionRow> test, IReadOnlyList<string> predictions,
        IReadOnlyDictionary<string, double> metrics, IReadOnlyList<EpochSummary> history, int clips, Action<string> log,
        IReadOnlyList<DemoTimelineWindow>? timeline = null)
    {
        var gifDir = Path.Combine(root, "gifs");
        Directory.CreateDirectory(gifDir);
        var shown = Enumerable.Range(0, test.Count).Take(clips).ToList();
        log($"writing {shown.Count} captioned GIFs and the report");
        foreach (var i in shown) CaptionOverlay.Write(test[i].VideoPath, predictions[i], Path.Combine(gifDir, test[i].Id + ".gif"), width: 192);

        string F(double v) => v.ToString("F3", CultureInfo.InvariantCulture);
        var sb = new StringBuilder();
        sb.Append("""
<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>vidcap demo report</title>
<style>
body{font-family:DejaVu Sans,Arial,sans-serif;margin:24px;color:#222;max-width:1100px}
table{border-collapse:collapse;margin:12px 0}td,th{border:1px solid #ccc;padding:4px 10px;text-align:left;vertical-align:top}
th{background:#f2f2f2}.ok{color:#1a7f37}.bad{color:#b42318}img{image-rendering:pixelated}
.clips td{font-size:14px}.num{text-align:right;font-variant-numeric:tabular-nums}
.strip{display:flex;flex-wrap:wrap;gap:6px}.strip figure{margin:0;width:128px;font-size:12px}.strip .t{color:#666}
</style></head><body>
<h1>Synthetic-world captioning demo</h1>
<p>A Q-Former trained between a frozen tiny random V-JEPA 2 and a frozen tiny Qwen2 (real Qwen2 tokenizer), evaluated on
new clips: renderings of training combinations, and colour × shape × motion combinations that never appear in training
(the <em>_unseen</em> rows: compositional generalisation). Scores are coco-caption's (BLEU, METEOR, ROUGE-L, CIDEr-D);
the baseline is the best single caption predicted for every clip.</p>
<h2>Test metrics</h2><table><tr><th>metric</th><th>value</th></tr>
""");
        foreach (var k in new[] { "CIDEr", "baseline_CIDEr", "Bleu_1", "Bleu_4", "METEOR", "ROUGE_L", "accuracy_color", "accuracy_shape", "accuracy_motion", "accuracy_all",
                     "CIDEr_unseen", "baseline_CIDEr_unseen", "accuracy_color_unseen", "accuracy_shape_unseen", "accuracy_motion_unseen", "accuracy_all_unseen" })
            if (metrics.TryGetValue(k, out var v)) sb.Append($"<tr><td>{k}</td><td class=\"num\">{F(v)}</td></tr>\n");
        if (metrics.TryGetValue("CIDEr", out var cider) && metrics.TryGetValue("baseline_CIDEr", out var baseCider))
            sb.Append($"<tr><td>CIDEr / baseline</td><td class=\"num\">{F(cider / Math.Max(baseCider, 1e-9))}×</td></tr>\n");
        sb.Append($"</table><p>{metrics.GetValueOrDefault("train_clips")} training clips, {metrics.GetValueOrDefault("test_clips")} test clips, {F(metrics.GetValueOrDefault("seconds"))} s in all.</p>\n");
        sb.Append("<h2>Training loss</h2>\n").Append(LossSvg(history));
        sb.Append("<h2>Held-out clips</h2><table class=\"clips\"><tr><th>clip (predicted caption drawn on)</th><th>prediction</th><th>references</th></tr>\n");
        foreach (var i in shown)
        {
            var truth = SyntheticWorld.ParseAttributes(test[i].Captions[0]);
            bool right = SyntheticWorld.ParseAttributes(predictions[i]) == truth;
            sb.Append($"<tr><td><img src=\"gifs/{WebUtility.HtmlEncode(test[i].Id)}.gif\" alt=\"{WebUtility.HtmlEncode(test[i].Id)}\" width=\"192\"></td>")
              .Append($"<td class=\"{(right ? "ok" : "bad")}\">{WebUtility.HtmlEncode(predictions[i])}</td><td>")
              .Append(string.Join("<br>", test[i].Captions.Select(WebUtility.HtmlEncode))).Append("</td></tr>\n");
        }
        sb.Append("</table>\n");
        if (timeline is { Count: > 0 }) sb.Append(TimelineStrip(timeline, metrics));
        sb.Append("</body></html>\n");
        var path = Path.Combine(root, "report.html");
        File.WriteAllText(path, sb.ToString());
        return path;
    }

    // One figure per window: the thumbnail, the window's times and its caption (green when it names what the window shows).
    private static string TimelineStrip(IReadOnlyList<DemoTimelineWindow> windows, IReadOnlyDictionary<string, double> metrics)
    {
        var sb = new StringBuilder("<h2>Timeline of a long video</h2>\n<p>Known segments of the world one after the other, captioned in windows with ")
            .Append("<code>vidcap caption --timeline</code>; green where the caption names the colour, shape and motion on screen");
        if (metrics.TryGetValue("timeline_accuracy_all", out var all))
            sb.Append(CultureInfo.InvariantCulture, $" ({all:P0} of {windows.Count} windows)");
        sb.Append(".</p>\n<div class=\"strip\">\n");
        foreach (var w in windows)
        {
            bool right = w.Caption != null && SyntheticWorld.ParseAttributes(w.Caption) == SyntheticWorld.ParseAttributes(w.TrueCaption);
            string times = string.Create(CultureInfo.InvariantCulture, $"{w.Start:F1}–{w.End:F1} s");
            sb.Append($"<figure><img src=\"{WebUtility.HtmlEncode(w.Thumbnail)}\" width=\"128\" alt=\"{times}\" title=\"shows: {WebUtility.HtmlEncode(w.TrueCaption)}\">")
              .Append($"<figcaption><span class=\"t\">{times}</span><br><span class=\"{(right ? "ok" : "bad")}\">{WebUtility.HtmlEncode(w.Caption ?? "(damaged)")}</span></figcaption></figure>\n");
        }
        return sb.Append("</div>\n").ToString();
    }

    private static string LossSvg(IReadOnlyList<EpochSummary> history)
    {
        if (history.Count == 0) return "<p>(no training history)</p>";
        const int w = 640, h = 240, pad = 40;
        var series = new List<(string Name, string Color, double[] Values)> { ("train", "#1f6feb", history.Select(e => e.TrainLoss).ToArray()) };
        if (history.All(e => e.ValidationLoss.HasValue)) series.Add(("validation", "#d1242f", history.Select(e => e.ValidationLoss!.Value).ToArray()));
        double max = series.Max(s => s.Values.Max()), min = Math.Min(0, series.Min(s => s.Values.Min()));
        string X(int i) => (pad + (w - 2 * pad) * (history.Count == 1 ? 0.5 : (double)i / (history.Count - 1))).ToString("F1", CultureInfo.InvariantCulture);
        string Y(double v) => (h - pad - (h - 2 * pad) * (v - min) / Math.Max(1e-9, max - min)).ToString("F1", CultureInfo.InvariantCulture);
        var sb = new StringBuilder($"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" role=\"img\" aria-label=\"loss per epoch\">");
        sb.Append($"<line x1=\"{pad}\" y1=\"{h - pad}\" x2=\"{w - pad}\" y2=\"{h - pad}\" stroke=\"#888\"/><line x1=\"{pad}\" y1=\"{pad}\" x2=\"{pad}\" y2=\"{h - pad}\" stroke=\"#888\"/>");
        sb.Append($"<text x=\"{pad}\" y=\"{pad - 8}\" font-size=\"12\">loss (max {max.ToString("F2", CultureInfo.InvariantCulture)})</text>");
        sb.Append($"<text x=\"{w - pad}\" y=\"{h - 10}\" font-size=\"12\" text-anchor=\"end\">epoch {history.Count}</text>");
        int legend = 0;
        foreach (var (name, color, values) in series)
        {
            sb.Append($"<polyline fill=\"none\" stroke=\"{color}\" stroke-width=\"2\" points=\"{string.Join(" ", values.Select((v, i) => $"{X(i)},{Y(v)}"))}\"/>");
            sb.Append($"<text x=\"{w - pad - 100}\" y=\"{pad + 16 * legend++}\" font-size=\"12\" fill=\"{color}\">{name}</text>");
        }
        return sb.Append("</svg>\n").ToString();
    }
}
