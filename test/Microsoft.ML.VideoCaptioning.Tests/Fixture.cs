using System.Text.Json;
using Microsoft.ML.VideoCaptioning.Engine;

namespace Microsoft.ML.VideoCaptioning.Tests;

/// <summary>
/// One <c>&lt;name&gt;.io.json</c> + <c>&lt;name&gt;.io.safetensors</c> pair of the fixture directory (VIDCAP_FIXTURES or the
/// project's copy): scalar params, and tensors named "case.tensor". See test/data/fixtures/README.md.
/// </summary>
public sealed class Fixture : IDisposable
{
    private readonly SafeTensorsFile _tensors;

    public string Name { get; }
    public JsonElement Params { get; }

    private Fixture(string name, JsonElement p, SafeTensorsFile tensors)
    {
        Name = name;
        Params = p;
        _tensors = tensors;
    }

    public static Fixture Open(string name)
    {
        var dir = TestPaths.Fixtures;
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, name + ".io.json")));
        var p = doc.RootElement.TryGetProperty("params", out var pp) ? pp.Clone() : default;
        return new Fixture(name, p, SafeTensorsFile.Open(Path.Combine(dir, name + ".io.safetensors")));
    }

    /// <summary>Names of the fixtures whose file name starts with <paramref name="prefix"/> ("qwen2_" → qwen2_tiny_f32, …).</summary>
    public static IEnumerable<string> Names(string prefix) =>
        Directory.GetFiles(TestPaths.Fixtures, prefix + "*.io.json").Select(f => Path.GetFileName(f)[..^".io.json".Length]).Order();

    /// <summary>(fixture, case) for every case of every fixture whose name starts with <paramref name="prefix"/>: theory data.</summary>
    public static TheoryData<string, string> AllCases(string prefix)
    {
        var data = new TheoryData<string, string>();
        foreach (var name in Names(prefix))
        {
            using var f = Open(name);
            foreach (var c in f.Cases) data.Add(name, c);
        }
        return data;
    }

    /// <summary>The case names: the part of each tensor name before the first dot.</summary>
    public IEnumerable<string> Cases => _tensors.Tensors.Keys.Where(k => k.Contains('.')).Select(k => k[..k.IndexOf('.')]).Distinct().Order();

    public bool Has(string tensor) => _tensors.Tensors.ContainsKey(tensor);

    public Tensor T(string tensor) => _tensors.Read(tensor);

    public string Dir(string key) => Path.Combine(TestPaths.Fixtures, Params.GetProperty(key).GetString()!);

    public string ModelDir => Dir("model_dir");

    public int Int(string key) => Params.GetProperty(key).GetInt32();

    public string[] Strings(string key) => Params.GetProperty(key).EnumerateArray().Select(e => e.GetString()!).ToArray();

    public void Dispose() => _tensors.Dispose();

    /// <summary>max|got − expected| / max|expected| ≤ tol (over positions where <paramref name="positionMask"/> is true, if given).</summary>
    public static double AssertClose(Tensor expected, Tensor got, double tol = 1e-4, bool[]? positionMask = null, string what = "")
    {
        Assert.Equal(expected.Shape, got.Shape);
        var e = expected.ToFloatArray();
        var g = got.ToFloatArray();
        int per = positionMask == null ? 1 : e.Length / positionMask.Length;
        double maxDiff = 0, maxRef = 0;
        for (int i = 0; i < e.Length; i++)
        {
            if (positionMask != null && !positionMask[i / per]) continue;
            Assert.False(float.IsNaN(g[i]), $"{what}: NaN at {i}");
            maxDiff = Math.Max(maxDiff, Math.Abs(g[i] - e[i]));
            maxRef = Math.Max(maxRef, Math.Abs(e[i]));
        }
        double rel = maxDiff / Math.Max(maxRef, 1e-30);
        Assert.True(rel <= tol, $"{what}: max|got-exp|/max|exp| = {rel:E2} > {tol:E0}");
        return rel;
    }
}
