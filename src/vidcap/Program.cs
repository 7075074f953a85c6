using System.CommandLine;
using Microsoft.ML.VideoCaptioning.Cli.Commands;

namespace Microsoft.ML.VideoCaptioning.Cli;

/// <summary>
/// vidcap: featurize, train, evaluate, caption, synth, demo, bench. Exit codes: 0 ok, 1 failure, 2 bad input.
/// </summary>
public static class Program
{
    public static int Main(string[] args)
    {
        var root = new RootCommand("vidcap — video captioning with V-JEPA 2, a Q-Former and Qwen2 (Microsoft.ML.VideoCaptioning)");
        root.Subcommands.Add(FeaturizeCommand.Create());
        root.Subcommands.Add(TrainCommand.Create());
        root.Subcommands.Add(EvaluateCommand.Create());
        root.Subcommands.Add(CaptionCommand.Create());
        root.Subcommands.Add(IndexCommand.Create());
        root.Subcommands.Add(SearchCommand.Create());
        root.Subcommands.Add(DemoCommand.Demo());
        root.Subcommands.Add(DemoCommand.Synth());
        root.Subcommands.Add(BenchCommand.Create());
        root.Subcommands.Add(ServeCommand.Create());
        return CliRunner.Run(root, args);
    }
}
