using System.Text;
using System.Text.Json;

namespace Microsoft.ML.VideoCaptioning.Data;

/// <summary>A video with its reference captions (the row type of every dataset loader).</summary>
public sealed class VideoCaptionRow
{
    public string Id { get; set; } = "";
    public string VideoPath { get; set; } = "";
    /// <summary>One or more captions (paraphrases or several annotators).</summary>
    public string[] Captions { get; set; } = [];
}

/// <summary>A dataset file that cannot be read; the message names the file and the line or entry.</summary>
public sealed class DatasetFormatException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>Readers of common video-caption datasets into <see cref="VideoCaptionRow"/>s (streamed, in file order).</summary>
public static class DatasetLoaders
{
    private static JsonDocument ParseFile(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"Dataset file not found: {path}", path);
        try { return JsonDocument.Parse(File.ReadAllBytes(path)); }
        catch (JsonException e) { throw new DatasetFormatException($"{path}: not valid JSON ({e.Message}).", e); }
    }

    private static string Resolve(string baseDir, string video) => Path.IsPathRooted(video) ? video : Path.GetFullPath(Path.Combine(baseDir, video));

    /// <summary>
    /// JSON lines: <c>{"video": "path", "captions": ["…", …]}</c> (or <c>"caption": "…"</c>, optional <c>"id"</c>); relative
    /// video paths are resolved against the file's folder.
    /// </summary>
    public static IEnumerable<VideoCaptionRow> Jsonl(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"Dataset file not found: {path}", path);
        var dir = Path.GetDirectoryName(Path.GetFullPath(path))!;
        int lineNo = 0;
        foreach (var line in File.ReadLines(path))
        {
            lineNo++;
            if (string.IsNullOrWhiteSpace(line)) continue;
            JsonElement e;
            try { e = JsonDocument.Parse(line).RootElement; }
            catch (JsonException ex) { throw new DatasetFormatException($"{path}:{lineNo}: not valid JSON ({ex.Message}).", ex); }
            if (!e.TryGetProperty("video", out var v) || v.ValueKind != JsonValueKind.String)
                throw new DatasetFormatException($"{path}:{lineNo}: missing \"video\" (the video file path).");
            string[] captions = e.TryGetProperty("captions", out var cs) && cs.ValueKind == JsonValueKind.Array
                ? cs.EnumerateArray().Select(x => x.GetString() ?? "").ToArray()
                : e.TryGetProperty("caption", out var c) && c.ValueKind == JsonValueKind.String ? [c.GetString()!] : [];
            yield return new VideoCaptionRow
            {
                Id = e.TryGetProperty("id", out var id) ? id.ToString() : Path.GetFileNameWithoutExtension(v.GetString()!),
                VideoPath = Resolve(dir, v.GetString()!),
                Captions = captions,
            };
        }
    }

    /// <summary>CSV with a header; rows of the same video are merged into one row with several captions.</summary>
    public static IEnumerable<VideoCaptionRow> Csv(string path, string videoColumn = "video", string captionColumn = "caption")
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"Dataset file not found: {path}", path);
        var dir = Path.GetDirectoryName(Path.GetFullPath(path))!;
        using var reader = new StreamReader(path);
        var header = SplitCsv(reader.ReadLine() ?? throw new DatasetFormatException($"{path}: empty file."));
        int vi = Array.IndexOf(header, videoColumn), ci = Array.IndexOf(header, captionColumn);
        if (vi < 0 || ci < 0) throw new DatasetFormatException($"{path}: header must have columns '{videoColumn}' and '{captionColumn}' (found {string.Join(", ", header)}).");
        var rows = new Dictionary<string, VideoCaptionRow>();
        var order = new List<string>();
        string? line;
        int lineNo = 1;
        while ((line = reader.ReadLine()) != null)
        {
            lineNo++;
            if (line.Length == 0) continue;
            var f = SplitCsv(line);
            if (f.Length <= Math.Max(vi, ci)) throw new DatasetFormatException($"{path}:{lineNo}: expected at least {Math.Max(vi, ci) + 1} fields.");
            var video = Resolve(dir, f[vi]);
            if (!rows.TryGetValue(video, out var row))
            {
                rows[video] = row = new VideoCaptionRow { Id = Path.GetFileNameWithoutExtension(video), VideoPath = video };
                order.Add(video);
            }
            row.Captions = [.. row.Captions, f[ci]];
        }
        return order.Select(v => rows[v]);
    }

    private static string[] SplitCsv(string line)
    {
        var fields = new List<string>();
        var sb = new StringBuilder();
        bool quoted = false;
        for (int i = 0; i < line.Length; i++)
        {
            char c = line[i];
            if (quoted)
            {
                if (c == '"' && i + 1 < line.Length && line[i + 1] == '"') { sb.Append('"'); i++; }
                else if (c == '"') quoted = false;
                else sb.Append(c);
            }
            else if (c == '"') quoted = true;
            else if (c == ',') { fields.Add(sb.ToString()); sb.Clear(); }
            else sb.Append(c);
        }
        fields.Add(sb.ToString());
        return fields.ToArray();
    }

    /// <summary>
    /// Something-Something-V2: <c>[{"id", "label", "template", "placeholders"}]</c> (train.json / validation.json), videos
    /// at <c>{id}{ext}</c>. The caption is the human <c>label</c>; a paraphrase file in the seed's format
    /// (<c>{id: [paraphrase, …]}</c>) adds paraphrases after it.
    /// </summary>
    public static IEnumerable<VideoCaptionRow> Ssv2(string annotationsJson, string videoDirectory, string? paraphrasesJson = null, string videoExtension = ".webm")
    {
        using var doc = ParseFile(annotationsJson);
        Dictionary<string, string[]>? para = null;
        if (paraphrasesJson != null)
        {
            using var p = ParseFile(paraphrasesJson);
            para = p.RootElement.EnumerateObject().ToDictionary(o => o.Name, o => o.Value.EnumerateArray().Select(x => x.GetString() ?? "").ToArray());
        }
        if (doc.RootElement.ValueKind != JsonValueKind.Array) throw new DatasetFormatException($"{annotationsJson}: expected a JSON list of SSv2 annotations.");
        var rows = new List<VideoCaptionRow>();
        int k = 0;
        foreach (var e in doc.RootElement.EnumerateArray())
        {
            if (!e.TryGetProperty("id", out var id) || !e.TryGetProperty("label", out var label))
                throw new DatasetFormatException($"{annotationsJson}: entry {k} has no \"id\" or \"label\" (is this a test.json without labels?).");
            var ids = id.ToString();
            string[] caps = label.ValueKind == JsonValueKind.Array ? label.EnumerateArray().Select(x => x.GetString() ?? "").ToArray() : [label.GetString() ?? ""];
            if (para != null && para.TryGetValue(ids, out var more)) caps = [.. caps, .. more];
            rows.Add(new VideoCaptionRow { Id = ids, VideoPath = Path.GetFullPath(Path.Combine(videoDirectory, ids + videoExtension)), Captions = caps });
            k++;
        }
        return rows;
    }

    /// <summary>MSR-VTT <c>videodatainfo.json</c>: <c>videos[{video_id, split}]</c> and <c>sentences[{video_id, caption}]</c>; videos at <c>{video_id}.mp4</c>.</summary>
    public static IEnumerable<VideoCaptionRow> MsrVtt(string videoDataInfoJson, string videoDirectory, string? split = null)
    {
        using var doc = ParseFile(videoDataInfoJson);
        if (!doc.RootElement.TryGetProperty("videos", out var videos) || !doc.RootElement.TryGetProperty("sentences", out var sentences))
            throw new DatasetFormatException($"{videoDataInfoJson}: expected \"videos\" and \"sentences\" (MSR-VTT videodatainfo.json).");
        var caps = new Dictionary<string, List<string>>();
        foreach (var s in sentences.EnumerateArray())
        {
            var vid = s.GetProperty("video_id").GetString()!;
            (caps.TryGetValue(vid, out var l) ? l : caps[vid] = new List<string>()).Add(s.GetProperty("caption").GetString() ?? "");
        }
        var rows = new List<VideoCaptionRow>();
        foreach (var v in videos.EnumerateArray())
        {
            var vid = v.GetProperty("video_id").GetString()!;
            if (split != null && v.TryGetProperty("split", out var sp) && sp.GetString() != split) continue;
            rows.Add(new VideoCaptionRow { Id = vid, VideoPath = Path.GetFullPath(Path.Combine(videoDirectory, vid + ".mp4")), Captions = caps.GetValueOrDefault(vid)?.ToArray() ?? [] });
        }
        return rows;
    }

    /// <summary>VATEX: <c>[{"videoID", "enCap": [10 English captions]}]</c>; videos at <c>{videoID}.mp4</c>.</summary>
    public static IEnumerable<VideoCaptionRow> Vatex(string annotationsJson, string videoDirectory)
    {
        using var doc = ParseFile(annotationsJson);
        if (doc.RootElement.ValueKind != JsonValueKind.Array) throw new DatasetFormatException($"{annotationsJson}: expected a JSON list of VATEX annotations.");
        return doc.RootElement.EnumerateArray().Select((e, k) =>
        {
            if (!e.TryGetProperty("videoID", out var id)) throw new DatasetFormatException($"{annotationsJson}: entry {k} has no \"videoID\".");
            var caps = e.TryGetProperty("enCap", out var en) ? en.EnumerateArray().Select(x => x.GetString() ?? "").ToArray() : [];
            return new VideoCaptionRow { Id = id.GetString()!, VideoPath = Path.GetFullPath(Path.Combine(videoDirectory, id.GetString() + ".mp4")), Captions = caps };
        }).ToList();
    }
}
