using System.Text.Json;
using Microsoft.ML.VideoCaptioning.Engine;

namespace Microsoft.ML.VideoCaptioning.Tests;

/// <summary>
/// One <c>&lt;name&gt;.io.json</c> + <c>&lt;name&gt;.io.safetensors</c> pair of a fixture directory (by default
/// <see cref="TestPaths.Fixtures"/>: VIDCAP_FIXTURES or the project's copy): scalar params, per-tensor notes, and tensors
/// named "case.tensor". See test/data/fixtures/README.md.
/// </summary>
public sealed class Fixture : IDisposable
{
    private readonly SafeTensorsFile _tensors;
    private readonly JsonElement _notes;

    public string Name { get; }

    /// <summary>The fixture directory this fixture was read from; model directories named in its params are relative to it.</summary>
    public string Directory { get; }

    public JsonElement Params { get; }

    private Fixture(string name, string directory, JsonElement p, JsonElement notes, SafeTensorsFile tensors)
    {
        Name = name;
        Directory = directory;
        Params = p;
        _notes = notes;
        _tensors = tensors;
    }

    /// <summary>Opens fixture <paramref name="name"/> of <paramref name="directory"/> (default <see cref="TestPaths.Fixtures"/>).</summary>
    public static Fixture Open(string name, string? directory = null)
    {
        var dir = directory ?? TestPaths.Fixtures;
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, name + ".io.json")));
        var p = doc.RootElement.TryGetProperty("params", out var pp) ? pp.Clone() : default;
        var notes = doc.RootElement.TryGetProperty("tensors", out var tt) ? tt.Clone() : default;
        return new Fixture(name, dir, p, notes, SafeTensorsFile.Open(Path.Combine(dir, name + ".io.safetensors")));
    }

    /// <summary>Names of the fixtures whose file name starts with <paramref name="prefix"/> ("qwen2_" → qwen2_tiny_f32, …).</summary>
    public static IEnumerable<string> Names(string prefix, string? directory = null) =>
        System.IO.Directory.GetFiles(directory ?? TestPaths.Fixtures, prefix + "*.io.json").Select(f => Path.GetFileName(f)[..^".io.json".Length]).Order();

    /// <summary>(fixture, case) for every case of every fixture whose name starts with <paramref name="prefix"/>.</summary>
    public static IEnumerable<(string Fixture, string Case)> CasesOf(string prefix, string? directory = null)
    {
        foreach (var name in Names(prefix, directory))
        {
            using var f = Open(name, directory);
            foreach (var c in f.Cases.ToList()) yield return (name, c);
        }
    }

    /// <summary><see cref="CasesOf"/> as theory data, leaving out the fixtures named in <paramref name="except"/>.</summary>
    public static TheoryData<string, string> AllCases(string prefix, params string[] except)
    {
        var data = new TheoryData<string, string>();
        foreach (var (name, c) in CasesOf(prefix).Where(x => !except.Contains(x.Fixture))) data.Add(name, c);
        return data;
    }

    /// <summary>The case names: the part of each tensor name before the first dot.</summary>
    public IEnumerable<string> Cases => _tensors.Tensors.Keys.Where(k => k.Contains('.')).Select(k => k[..k.IndexOf('.')]).Distinct().Order();

    public bool Has(string tensor) => _tensors.Tensors.ContainsKey(tensor);

    public Tensor T(string tensor) => _tensors.Read(tensor);

    /// <summary>The names of every tensor in the .io.safetensors file.</summary>
    public IEnumerable<string> TensorNames => _tensors.Tensors.Keys.Order(StringComparer.Ordinal);

    /// <summary>
    /// The reference's own fp32-vs-fp64 error for <paramref name="tensor"/> (max|fp32 − fp64| / max|fp64|, from the
    /// .io.json), or null when the fixture states none.
    /// </summary>
    public double? Floor(string tensor) =>
        _notes.ValueKind == JsonValueKind.Object && _notes.TryGetProperty(tensor, out var n) && n.TryGetProperty("fp32_vs_fp64_maxrel", out var v)
            ? v.GetDouble() : null;

    /// <summary>A model directory named by param <paramref name="key"/>, relative to <see cref="Directory"/>.</summary>
    public string Dir(string key) => Path.Combine(Directory, Params.GetProperty(key).GetString()!);

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
