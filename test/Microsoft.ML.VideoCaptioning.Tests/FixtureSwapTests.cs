using System.Text.Json.Nodes;
using Microsoft.ML.VideoCaptioning.Tests.Text;
using Xunit.Abstractions;

namespace Microsoft.ML.VideoCaptioning.Tests;

/// <summary>
/// The suite reads the fixture set it is given (VIDCAP_FIXTURES, VIDCAP_TOKENIZER_VECTORS): on a copy of the set every
/// fixture's checks pass, and a copy in which one value of one tensor (or one token id of a vector file) is changed
/// makes them fail — for every expected tensor, and every input whose change an expectation can show, of every
/// .io.safetensors file, and for every vector file. The checks are <see cref="FixtureChecks"/>, the conformance tests'
/// own.
/// </summary>
public sealed class FixtureSwapTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("vidcap-fixture-swap-").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    /// <summary>
    /// Tensors a changed value need not show in: the reference's diagnostics, the top-1/top-2 logit gaps (gen.min_margin
    /// is informative; fwd.argmax_margin only tells where an argmax is reliable enough to compare), and the input
    /// embeddings of a qwen2_* fixture's greedy generation, whose only expectation is discrete (one value moved by 5 %
    /// need not flip an argmax). Every other tensor, inputs included, is changed.
    /// </summary>
    private static bool NeedNotShow(string fixture, string tensor) =>
        tensor.EndsWith("margin", StringComparison.Ordinal) || (fixture.StartsWith("qwen2_") && tensor == "gen.inputs_embeds");

    public static TheoryData<string> FixtureNames() => new(Fixture.Names(""));

    [Theory]
    [MemberData(nameof(FixtureNames))]
    public void ChecksPassOnACopyAndFailWhenOneValueChanges(string fixture)
    {
        string copy = LinkedCopy(TestPaths.Fixtures);
        FixtureChecks.Run(copy, fixture);

        var original = new RawSafeTensors(Path.Combine(TestPaths.Fixtures, fixture + ".io.safetensors"));
        string target = Path.Combine(copy, fixture + ".io.safetensors");
        var unnoticed = new List<string>();
        var tensors = original.Names.Where(t => !NeedNotShow(fixture, t)).ToList();
        foreach (string tensor in tensors)
        {
            Replace(target, original.WithOneValueChanged(tensor));
            if (Record.Exception(() => FixtureChecks.Run(copy, fixture)) == null) unnoticed.Add(tensor);
        }
        output.WriteLine($"{fixture}: {tensors.Count - unnoticed.Count} of {tensors.Count} changed tensors detected");
        Assert.True(unnoticed.Count == 0, $"{fixture}: no check noticed a changed value in {string.Join(", ", unnoticed)}");
    }

    /// <summary>
    /// A consistent copy whose cases have other names (tensors "case.x" and params "case.y" renamed alike) passes: the
    /// tests take the cases from the files. These are the fixtures whose cases are free (the others' case names are
    /// fixed by the layout: fwd, loss, gen, …).
    /// </summary>
    [Theory]
    [InlineData("vjepa2_preprocess")]
    [InlineData("vjepa2_tiny_f32")]
    public void ChecksTakeTheCasesFromTheFiles(string fixture)
    {
        string copy = LinkedCopy(TestPaths.Fixtures);
        static string Rename(string key) => key.Contains('.') ? "other_" + key : key;
        var original = new RawSafeTensors(Path.Combine(TestPaths.Fixtures, fixture + ".io.safetensors"));
        Replace(Path.Combine(copy, fixture + ".io.safetensors"), original.WithNames(Rename));
        var json = JsonNode.Parse(File.ReadAllText(Path.Combine(TestPaths.Fixtures, fixture + ".io.json")))!.AsObject();
        foreach (string part in new[] { "params", "tensors" })
            json[part] = new JsonObject(json[part]!.AsObject().Select(kv => KeyValuePair.Create(Rename(kv.Key), kv.Value?.DeepClone())));
        Replace(Path.Combine(copy, fixture + ".io.json"), System.Text.Encoding.UTF8.GetBytes(json.ToJsonString()));

        using (var f = Fixture.Open(fixture, copy))
            Assert.All(f.Cases, c => Assert.StartsWith("other_", c));
        FixtureChecks.Run(copy, fixture);
    }

    public static TheoryData<string> VectorFileNames() => TokenizerVectorTests.VectorFileNames;

    [Theory]
    [MemberData(nameof(VectorFileNames))]
    public void VectorChecksPassOnACopyAndFailWhenOneIdChanges(string fileName)
    {
        string path = Path.Combine(_dir, fileName);
        File.Copy(Path.Combine(TokenizerTestData.VectorDirectory, fileName), path);
        TokenizerVectorTests.AssertVectors(TokenizerTestData.Default, path);
        ChangeOneId(path);
        Assert.ThrowsAny<Exception>(() => TokenizerVectorTests.AssertVectors(TokenizerTestData.Default, path));
    }

    [Fact]
    public void FixtureTokenizerCasesFailWhenOneIdChanges()
    {
        string copy = Path.Combine(_dir, "set");
        Directory.CreateDirectory(Path.Combine(copy, "tokenizer"));
        string path = Path.Combine(copy, "tokenizer", "tokenizer_cases.json");
        File.Copy(Path.Combine(TestPaths.Fixtures, "tokenizer", "tokenizer_cases.json"), path);
        Qwen2TokenizerTests.CheckFixtureCases(copy);
        ChangeOneId(path);
        Assert.ThrowsAny<Exception>(() => Qwen2TokenizerTests.CheckFixtureCases(copy));
    }

    /// <summary>Adds one to the first id of the middle case of a <c>{"cases": [{"ids": […]}, …]}</c> file.</summary>
    private static void ChangeOneId(string path)
    {
        var root = JsonNode.Parse(File.ReadAllText(path))!;
        var cases = root["cases"]!.AsArray();
        var ids = cases.Select(c => c!["ids"]!.AsArray()).Where(a => a.Count > 0).ToList();
        var chosen = ids[ids.Count / 2];
        chosen[0] = chosen[0]!.GetValue<int>() + 1;
        File.WriteAllText(path, root.ToJsonString());
    }

    /// <summary>Writes <paramref name="bytes"/> as a file at <paramref name="path"/> (replacing a link there, not its target).</summary>
    private static void Replace(string path, byte[] bytes)
    {
        File.Delete(path);
        File.WriteAllBytes(path, bytes);
    }

    /// <summary>A new directory whose entries are symbolic links to those of <paramref name="source"/>.</summary>
    private string LinkedCopy(string source)
    {
        string copy = Directory.CreateDirectory(Path.Combine(_dir, "set-" + Guid.NewGuid().ToString("N"))).FullName;
        foreach (string entry in Directory.EnumerateFileSystemEntries(source))
        {
            string link = Path.Combine(copy, Path.GetFileName(entry));
            if (Directory.Exists(entry)) Directory.CreateSymbolicLink(link, Path.GetFullPath(entry));
            else File.CreateSymbolicLink(link, Path.GetFullPath(entry));
        }
        return copy;
    }
}
