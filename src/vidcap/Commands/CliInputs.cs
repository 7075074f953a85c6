using Microsoft.ML;
using Microsoft.ML.VideoCaptioning.Data;

namespace Microsoft.ML.VideoCaptioning.Cli.Commands;

/// <summary>What the commands take as inputs: video lists and datasets.</summary>
internal static class CliInputs
{
    private static readonly string[] VideoExtensions = [".mp4", ".webm", ".mkv", ".avi", ".mov", ".gif", ".m4v"];

    /// <summary>Videos named directly, found in folders (recursively), or listed in .jsonl/.csv dataset files.</summary>
    internal static List<string> ExpandInputs(IEnumerable<string> inputs)
    {
        var list = new List<string>();
        foreach (var i in inputs)
        {
            if (Directory.Exists(i))
                list.AddRange(Directory.EnumerateFiles(i, "*", SearchOption.AllDirectories).Where(f => VideoExtensions.Contains(Path.GetExtension(f).ToLowerInvariant())).Order());
            else if (i.EndsWith(".jsonl", StringComparison.OrdinalIgnoreCase)) list.AddRange(DatasetLoaders.Jsonl(i).Select(r => r.VideoPath));
            else if (i.EndsWith(".csv", StringComparison.OrdinalIgnoreCase)) list.AddRange(DatasetLoaders.Csv(i).Select(r => r.VideoPath));
            else if (File.Exists(i)) list.Add(Path.GetFullPath(i));
            else throw new UsageException($"'{i}' is not a video file, a folder, or a .jsonl/.csv dataset.");
        }
        return list;
    }

    /// <summary>Rows of a dataset given on the command line (.jsonl, .csv, or SSv2/MSR-VTT/VATEX JSON with --videos).</summary>
    internal static IDataView LoadDataset(VideoCaptioningCatalog.DataCatalog data, string path, string? format, string? videos, string? paraphrases)
    {
        format ??= Path.GetExtension(path).ToLowerInvariant() switch { ".jsonl" => "jsonl", ".csv" => "csv", _ => null };
        if (format is "ssv2" or "msrvtt" or "vatex" && videos == null) throw new UsageException($"--format {format} needs --videos DIR.");
        return format switch
        {
            "jsonl" => data.LoadFromJsonl(path),
            "csv" => data.LoadFromCsv(path),
            "ssv2" => data.LoadSsv2(path, videos!, paraphrases),
            "msrvtt" => data.LoadMsrVtt(path, videos!),
            "vatex" => data.LoadVatex(path, videos!),
            _ => throw new UsageException($"Cannot tell the format of '{path}': use --format jsonl|csv|ssv2|msrvtt|vatex."),
        };
    }
}
