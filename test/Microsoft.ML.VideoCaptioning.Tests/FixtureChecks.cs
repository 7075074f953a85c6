using Microsoft.ML.VideoCaptioning.Tests.Models;
using Microsoft.ML.VideoCaptioning.Tests.Text;
using Microsoft.ML.VideoCaptioning.Tests.Training;
using Microsoft.ML.VideoCaptioning.Tests.Video;

namespace Microsoft.ML.VideoCaptioning.Tests;

/// <summary>
/// Every check that reads a fixture of the set, by fixture name: the checks the conformance tests run, callable on any
/// directory with the same layout and file names (<see cref="FixtureSwapTests"/> runs them on copies of the set).
/// </summary>
internal static class FixtureChecks
{
    /// <summary>Runs every check that reads fixture <paramref name="name"/> of <paramref name="directory"/>; throws on the first failure.</summary>
    public static void Run(string directory, string name)
    {
        if (name == TrainStepGoldenTests.FixtureName)
        {
            TrainStepGoldenTests.Check(directory);
            return;
        }
        if (name == VideoPreprocessorTests.FixtureName)
        {
            foreach (var c in VideoPreprocessorTests.CaseNames(directory)) VideoPreprocessorTests.Check(directory, c);
            return;
        }
        using var f = Fixture.Open(name, directory);
        if (name.StartsWith("captioner_"))
        {
            QFormerConformanceTests.CheckCaptioner(f);
            Qwen2TokenizerTests.CheckBatch(directory, name);
            return;
        }
        Action<Fixture, string> check =
            name.StartsWith("qformer_") ? QFormerConformanceTests.CheckQFormer
            : name.StartsWith("qwen2_") ? Qwen2ConformanceTests.Check
            : name.StartsWith("vjepa2_tiny") ? VJepa2ConformanceTests.Check
            : throw new InvalidOperationException($"No test checks fixture {name}: give it a conformance test and add its checks here.");
        foreach (var c in f.Cases.ToList()) check(f, c);
        if (name.StartsWith("qwen2_") && f.Params.TryGetProperty("texts", out _)) Qwen2TokenizerTests.CheckBatch(directory, name);
    }
}
