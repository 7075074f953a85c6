using System.Text.Json;
using Microsoft.ML.VideoCaptioning.Evaluation;
using Microsoft.ML.VideoCaptioning.Evaluation.Ptb;
using Xunit;

namespace Microsoft.ML.VideoCaptioning.Tests.Evaluation;

public class PtbTokenizerTests
{
    private sealed record Case(string Raw, string PtbLowercased, string CocoTokenized);

    private static readonly Case[] Cases = LoadCases();

    private static Case[] LoadCases()
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(TestPaths.Data, "metrics", "ptb_tokenizer_cases.json")));
        return doc.RootElement.EnumerateArray()
            .Select(e => new Case(e.GetProperty("raw").GetString()!, e.GetProperty("ptb_lowercased").GetString()!,
                e.GetProperty("coco_tokenized").GetString()!))
            .ToArray();
    }

    public static TheoryData<int> CaseIndices()
    {
        var data = new TheoryData<int>();
        for (int i = 0; i < Cases.Length; i++) data.Add(i);
        return data;
    }

    [Theory]
    [MemberData(nameof(CaseIndices))]
    public void PtbOutputMatchesStanford341(int index)
    {
        var c = Cases[index];
        Assert.Equal(c.PtbLowercased, PtbTokenizer.TokenizeToPtbLine(c.Raw));
    }

    [Theory]
    [MemberData(nameof(CaseIndices))]
    public void CocoTokenizationMatches(int index)
    {
        var c = Cases[index];
        Assert.Equal(c.CocoTokenized, PtbTokenizer.Tokenize([c.Raw])[0]);
    }

    [Fact]
    public void AllCasesInOneCallMatchLineByLine()
    {
        var tokenized = PtbTokenizer.Tokenize(Cases.Select(c => c.Raw).ToArray());
        Assert.Equal(Cases.Select(c => c.CocoTokenized), tokenized);
    }

    [Fact]
    public void LookAheadCrossesLinesAndChunkBoundaries()
    {
        // "I." before a capitalized sentence starter is split into "I" and "." (which coco then drops); at the end of
        // the text, or before a lowercase word, it stays "I.".
        Assert.Equal(["world war i", "the end"], PtbTokenizer.Tokenize(["world war I.", "The end"]));
        Assert.Equal(["world war i.", "the end"], PtbTokenizer.Tokenize(["world war I.", "the end"]));
        Assert.Equal(["world war i."], PtbTokenizer.Tokenize(["world war I."]));
        Assert.Equal(["world war i", "", "", "the end"], PtbTokenizer.Tokenize(["world war I.", "", " ", "The end"]));

        foreach (int at in new[] { 511, 1023 })
        {
            var captions = Enumerable.Range(0, 1200).Select(i => $"caption {i}").ToArray();
            captions[at] = "world war I.";
            captions[at + 1] = "";
            captions[at + 2] = "The end";
            var tokenized = PtbTokenizer.Tokenize(captions);
            Assert.Equal("world war i", tokenized[at]);
            Assert.Equal(captions.Select((c, i) => i == at ? "world war i" : c.ToLowerInvariant()), tokenized);
        }
    }

    [Fact]
    public void AllThirtyCasesArePresent() => Assert.Equal(30, Cases.Length);

    [Theory]
    [InlineData("A man's hat.", "a man 's hat")]
    [InlineData("They're gonna dunk it", "they 're gon na dunk it")]
    [InlineData("rock and/or roll", "rock and/or roll")]
    [InlineData("the ‘90s look", "the 90s look")]
    [InlineData("AT&T phone", "at&t phone")]
    [InlineData("smile :) ok", "smile :-rrb- ok")]
    [InlineData("an emoji \U0001F600 here", "an emoji here")]
    [InlineData("\"Hi,\" she said.", "hi she said")]
    [InlineData("first line\nsecond line", "first line second line")]
    public void GeneralBehaviours(string raw, string expected) => Assert.Equal(expected, PtbTokenizer.Tokenize([raw])[0]);
}
