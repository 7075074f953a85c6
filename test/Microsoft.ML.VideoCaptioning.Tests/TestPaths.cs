namespace Microsoft.ML.VideoCaptioning.Tests;

/// <summary>Locates the repository's own test data (copied from ../shared, see test/data/PROVENANCE.md).</summary>
public static class TestPaths
{
    public static string RepoRoot { get; } = FindRepoRoot();

    /// <summary>test/data in the repository.</summary>
    public static string Data => Path.Combine(RepoRoot, "test", "data");

    /// <summary>Fixture directory: VIDCAP_FIXTURES when set, else the project's copy of shared/fixtures.</summary>
    public static string Fixtures =>
        Environment.GetEnvironmentVariable("VIDCAP_FIXTURES") is { Length: > 0 } d ? d : Path.Combine(Data, "fixtures");

    /// <summary>Files shipped with the library (Meteor data, Qwen2 tokenizer).</summary>
    public static string Assets => Path.Combine(RepoRoot, "assets");

    private static string FindRepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir != null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Microsoft.ML.VideoCaptioning.sln")))
                return dir.FullName;
        throw new InvalidOperationException("Cannot find Microsoft.ML.VideoCaptioning.sln above " + AppContext.BaseDirectory);
    }
}

/// <summary>
/// Tests that expect seeded libtorch results to repeat: libtorch's default generator is process-wide, so these run
/// alone, never beside another class that draws random numbers (dropout, randn) at the same time.
/// </summary>
[CollectionDefinition(nameof(GlobalRng), DisableParallelization = true)]
public sealed class GlobalRng;
