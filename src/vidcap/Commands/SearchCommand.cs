using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Microsoft.ML.VideoCaptioning.Engine;
using Microsoft.ML.VideoCaptioning.Indexing;
using Microsoft.ML.VideoCaptioning.Video;
using Spectre.Console;

namespace Microsoft.ML.VideoCaptioning.Cli.Commands;

using Command = System.CommandLine.Command;

/// <summary><c>vidcap search --index DIR --model M (--like VIDEO | --text TEXT)</c>.</summary>
public static class SearchCommand
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    public static Command Create()
    {
        var index = new Option<string>("--index") { Description = "Index directory written by vidcap index", Required = true };
        var model = new Option<string>("--model") { Description = "The model zip that built the index", Required = true };
        var like = new Option<string?>("--like") { Description = "Rank by cosine similarity to this video's embedding" };
        var text = new Option<string?>("--text") { Description = "Rank by the captioner's log-likelihood of this text after each entry's visual prefix" };
        var k = new Option<int>("-k") { Description = "Results to show", DefaultValueFactory = _ => 10 };
        var rerank = new Option<int>("--rerank") { Description = "--text: score only the best N by TF-IDF on the captions (0 = every entry)", DefaultValueFactory = _ => 200 };
        var json = CliOptions.Json();
        var device = CliOptions.Device();
        var cmd = new Command("search", "Search an index by example video (--like) or by text (--text).") { index, model, like, text, k, rerank, json, device };
        cmd.SetAction((p, ct) =>
        {
            if ((p.GetValue(like) == null) == (p.GetValue(text) == null)) throw new UsageException("Give exactly one of --like VIDEO and --text TEXT.");
            var loadedIndex = VideoIndex.Open(p.GetValue(index)!);
            using var loaded = LoadedCaptioner.Load(p.GetValue(model)!, p.GetValue(device)!);
            var clock = Stopwatch.StartNew();
            IReadOnlyList<SearchHit> hits;
            if (p.GetValue(like) is { } query)
            {
                var clip = new VideoFrameSampler(loaded.Sampling).Sample(query, ct);
                using var scope = TensorScope.Open();
                hits = loadedIndex.SearchLike(loaded.Generator.Model.Embed(loaded.Featurizer.Featurize([clip])).ToFloatArray(), p.GetValue(k));
            }
            else
            {
                hits = loadedIndex.SearchText(loaded.Generator, p.GetValue(text)!, p.GetValue(k), p.GetValue(rerank));
            }
            double seconds = clock.Elapsed.TotalSeconds;
            if (p.GetValue(json))
            {
                Console.WriteLine(JsonSerializer.Serialize(hits.Select(h => new { video = h.Entry.Source, start = h.Entry.Start, end = h.Entry.End, score = h.Score, caption = h.Entry.Caption }), Indented));
                return Task.FromResult(ExitCodes.Ok);
            }
            var table = new Table().AddColumns("#", "score", "video", "start", "end", "caption");
            foreach (var (h, i) in hits.Select((h, i) => (h, i + 1)))
                table.AddRow(i.ToString(CultureInfo.InvariantCulture), h.Score.ToString("F4", CultureInfo.InvariantCulture), Markup.Escape(h.Entry.Source),
                    TimelineCaptions.Time(h.Entry.Start), TimelineCaptions.Time(h.Entry.End), Markup.Escape(h.Entry.Caption));
            AnsiConsole.Write(table);
            Console.WriteLine($"{loadedIndex.Entries.Count} entries searched in {seconds:F3} s");
            return Task.FromResult(ExitCodes.Ok);
        });
        return cmd;
    }
}
