using System.CommandLine;
using System.Text.Json;
using Microsoft.ML.VideoCaptioning.Evaluation;
using Spectre.Console;

namespace Microsoft.ML.VideoCaptioning.Cli.Commands;

using Command = System.CommandLine.Command;

/// <summary><c>vidcap evaluate</c>: coco-caption metrics of coco-format files.</summary>
public static class EvaluateCommand
{
    public static Command Create()
    {
        var refs = new Option<string>("--references") { Description = "coco-format references {id: [caption, ...]}", Required = true };
        var cands = new Option<string>("--candidates") { Description = "coco-format candidates {id: [caption]}", Required = true };
        var json = CliOptions.Json();
        var perItem = new Option<bool>("--per-item") { Description = "Also print each item's scores" };
        var meteorData = new Option<string?>("--meteor-data") { Description = "Meteor 1.5 data folder (default: shipped with vidcap)" };
        var paraphrase = new Option<string?>("--meteor-paraphrase") { Description = "Meteor paraphrase table (paraphrase-en.gz) for coco-caption's full METEOR" };
        var cmd = new Command("evaluate", "Score captions exactly as coco-caption does: BLEU-1..4, METEOR 1.5, ROUGE-L, CIDEr-D.")
        {
            refs, cands, json, perItem, meteorData, paraphrase,
        };
        cmd.SetAction((p, ct) =>
        {
            var (r, c) = CaptionDataLoader.Load(p.GetValue(refs)!, p.GetValue(cands)!);
            var metrics = new CaptionEvaluator(new CaptionEvaluatorOptions
            {
                MeteorDataDirectory = p.GetValue(meteorData), MeteorParaphraseFile = p.GetValue(paraphrase),
            }).Evaluate(r, c);
            if (p.GetValue(json))
            {
                var o = new Dictionary<string, object>(metrics.ToDictionary().Select(kv => KeyValuePair.Create(kv.Key, (object)kv.Value)));
                if (p.GetValue(perItem)) o["per_item"] = metrics.Ids.ToDictionary(id => id, id => metrics.PerItem[id].ToDictionary());
                Console.WriteLine(JsonSerializer.Serialize(o, CliOptions.Indented));
                return Task.FromResult(ExitCodes.Ok);
            }
            var t = new Table().AddColumns("metric", "value");
            foreach (var (k, v) in metrics.ToDictionary()) t.AddRow(k, v.ToString("F6"));
            AnsiConsole.Write(t);
            if (p.GetValue(perItem))
            {
                var items = new Table().AddColumn("id");
                var names = metrics.ToDictionary().Keys.ToList();
                foreach (var n in names) items.AddColumn(n);
                foreach (var id in metrics.Ids)
                {
                    var d = metrics.PerItem[id].ToDictionary();
                    items.AddRow([Markup.Escape(id), .. names.Select(n => d.TryGetValue(n, out var v) ? v.ToString("F4") : "-")]);
                }
                AnsiConsole.Write(items);
            }
            return Task.FromResult(ExitCodes.Ok);
        });
        return cmd;
    }
}
