using Microsoft.ML.VideoCaptioning.Evaluation;
using Xunit;

namespace Microsoft.ML.VideoCaptioning.Tests.Evaluation;

public sealed class CaptionDataLoaderTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("caption-loader-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Write(string name, string content)
    {
        string path = Path.Combine(_dir, name);
        File.WriteAllText(path, content);
        return path;
    }

    private static CaptionDataException AssertFails(Action load, string path, params string[] fragments)
    {
        var e = Assert.Throws<CaptionDataException>(load);
        Assert.Equal(path, e.FilePath);
        Assert.Contains(path, e.Message);
        foreach (string f in fragments) Assert.Contains(f, e.Message);
        return e;
    }

    [Fact]
    public void LoadsCocoFormat()
    {
        string refs = Write("refs.json", """{"v1": ["a man", "a person"], "v2": ["a dog"]}""");
        string cands = Write("cands.json", """{"v2": ["a cat"], "v1": "a man walks"}""");
        var (references, candidates) = CaptionDataLoader.Load(refs, cands);
        Assert.Equal(["a man", "a person"], references["v1"]);
        Assert.Equal("a man walks", candidates["v1"]);
        Assert.Equal(["v2", "v1"], candidates.Keys);
    }

    [Fact]
    public void LoadsThePublicGoldenSet()
    {
        string dir = Path.Combine(TestPaths.Data, "metrics");
        var (references, candidates) = CaptionDataLoader.Load(Path.Combine(dir, "public_captions_gts.json"), Path.Combine(dir, "public_captions_res.json"));
        Assert.Equal(41, references.Count);
        Assert.Equal(41, candidates.Count);
    }

    [Fact]
    public void MalformedJson()
    {
        string path = Write("bad.json", """{"v1": ["a man",]""");
        var e = AssertFails(() => CaptionDataLoader.LoadReferences(path), path, "not valid JSON", "line 1");
        Assert.IsType<System.Text.Json.JsonException>(e.InnerException, exactMatch: false);
    }

    [Fact]
    public void EmptyFile()
    {
        string path = Write("empty.json", "  \n");
        AssertFails(() => CaptionDataLoader.LoadCandidates(path), path, "is empty");
    }

    [Fact]
    public void EmptyObject()
    {
        string path = Write("none.json", "{}");
        AssertFails(() => CaptionDataLoader.LoadReferences(path), path, "has no items");
    }

    [Fact]
    public void MissingFile()
    {
        string path = Path.Combine(_dir, "missing.json");
        AssertFails(() => CaptionDataLoader.LoadReferences(path), path, "Cannot read");
    }

    [Fact]
    public void RootMustBeAnObject()
    {
        string path = Write("list.json", """[{"image_id": 1, "caption": "a man"}]""");
        AssertFails(() => CaptionDataLoader.LoadCandidates(path), path, "JSON object", "a list");
    }

    [Fact]
    public void EmptyCandidateList()
    {
        string path = Write("cands.json", """{"v1": []}""");
        AssertFails(() => CaptionDataLoader.LoadCandidates(path), path, "'v1'", "empty candidate list");
    }

    [Fact]
    public void SeveralCandidates()
    {
        string path = Write("cands.json", """{"v1": ["a", "b"]}""");
        AssertFails(() => CaptionDataLoader.LoadCandidates(path), path, "'v1'", "2 candidates");
    }

    [Fact]
    public void CandidateOfWrongType()
    {
        string path = Write("cands.json", """{"v1": 3}""");
        AssertFails(() => CaptionDataLoader.LoadCandidates(path), path, "'v1'", "a number");
    }

    [Fact]
    public void EmptyReferenceList()
    {
        string path = Write("refs.json", """{"v1": []}""");
        AssertFails(() => CaptionDataLoader.LoadReferences(path), path, "'v1'", "empty reference list");
    }

    [Fact]
    public void ReferenceOfWrongType()
    {
        string path = Write("refs.json", """{"v1": ["ok", null]}""");
        AssertFails(() => CaptionDataLoader.LoadReferences(path), path, "'v1'", "null");
        path = Write("refs2.json", """{"v1": "a man"}""");
        AssertFails(() => CaptionDataLoader.LoadReferences(path), path, "'v1'", "list of strings", "a string");
    }

    [Fact]
    public void DuplicateId()
    {
        string path = Write("refs.json", """{"v1": ["a"], "v1": ["b"]}""");
        AssertFails(() => CaptionDataLoader.LoadReferences(path), path, "'v1'", "more than once");
    }

    [Fact]
    public void CandidatesWithoutReferences()
    {
        string refs = Write("refs.json", """{"v1": ["a"]}""");
        string cands = Write("cands.json", """{"v1": ["a"], "v2": ["b"], "v3": ["c"]}""");
        var e = AssertFails(() => CaptionDataLoader.Load(refs, cands), cands, "2 id(s)", "'v2'", "'v3'", refs);
        Assert.DoesNotContain("'v1'", e.Message);
    }

    [Fact]
    public void ReferencesWithoutCandidatesListAFew()
    {
        string refs = Write("refs.json", "{" + string.Join(", ", Enumerable.Range(0, 9).Select(i => $"\"r{i}\": [\"x\"]")) + "}");
        string cands = Write("cands.json", """{"r0": ["x"]}""");
        AssertFails(() => CaptionDataLoader.Load(refs, cands), refs, "8 id(s)", "'r1'", "'r5'", "(3 more)");
    }
}
