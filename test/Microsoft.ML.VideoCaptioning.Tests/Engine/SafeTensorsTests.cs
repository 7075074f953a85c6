using System.Text;
using Microsoft.ML.VideoCaptioning.Engine;

namespace Microsoft.ML.VideoCaptioning.Tests.Engine;

public class SafeTensorsTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("vidcap-st-").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    [Fact]
    public void RoundTripsEveryDType()
    {
        using var scope = TensorScope.Open();
        var path = Path.Combine(_dir, "a.safetensors");
        var f32 = Tensor.From(new float[] { 1, -2, 3.5f, 4, 5, 6 }, 2, 3);
        var tensors = new Dictionary<string, Tensor>
        {
            ["w.f32"] = f32,
            ["w.bf16"] = f32.To(DType.BFloat16),
            ["w.f16"] = f32.To(DType.Float16),
            ["ids"] = Tensor.From(new long[] { 1, 151643 }, 2),
            ["mask"] = Tensor.From(new[] { true, false, true }, 3),
        };
        SafeTensorsFile.Save(path, tensors, new Dictionary<string, string> { ["note"] = "x" });
        using var f = SafeTensorsFile.Open(path);
        Assert.Equal("x", f.Metadata["note"]);
        Assert.Equal("pt", f.Metadata["format"]);
        foreach (var (name, t) in tensors)
        {
            var info = f.Tensors[name];
            Assert.Equal(t.DType, info.DType);
            Assert.Equal(t.Shape, info.Shape);
            Assert.Equal(t.ToBytes(), f.Read(name).ToBytes());
        }
        Assert.Equal(f32.ToFloatArray(), f.Read("w.bf16", dtype: DType.Float32).ToFloatArray());
        Assert.Empty(Directory.GetFiles(_dir, "*.tmp"));
    }

    [Fact]
    public void OpensAFileThroughASymbolicLink()
    {
        // The Hugging Face cache keeps snapshots/<rev>/model.safetensors as a link to blobs/<hash>.
        using var scope = TensorScope.Open();
        var target = Path.Combine(_dir, "blob");
        SafeTensorsFile.Save(target, new Dictionary<string, Tensor> { ["w"] = Tensor.From(new float[] { 1, 2, 3 }, 3) });
        var link = Path.Combine(_dir, "model.safetensors");
        File.CreateSymbolicLink(link, target);
        using var f = SafeTensorsFile.Open(link);
        Assert.Equal([1f, 2f, 3f], f.Read("w").ToFloatArray());
    }

    [Fact]
    public void ReadsEveryFixtureFile()
    {
        var files = Directory.GetFiles(TestPaths.Fixtures, "*.safetensors", SearchOption.AllDirectories);
        Assert.NotEmpty(files);
        foreach (var file in files)
        {
            using var scope = TensorScope.Open();
            using var f = SafeTensorsFile.Open(file);
            Assert.NotEmpty(f.Tensors);
            foreach (var (name, info) in f.Tensors)
            {
                var t = f.Read(name);
                Assert.Equal(info.Shape, t.Shape);
                Assert.Equal(info.DType, t.DType);
            }
        }
    }

    [Fact]
    public void ReadsAShardedCheckpointThroughItsIndex()
    {
        using var scope = TensorScope.Open();
        var a = Tensor.From(new float[] { 1, 2 }, 2);
        var b = Tensor.From(new float[] { 3 }, 1);
        SafeTensorsFile.Save(Path.Combine(_dir, "model-00001-of-00002.safetensors"), [KeyValuePair.Create("a", a)]);
        SafeTensorsFile.Save(Path.Combine(_dir, "model-00002-of-00002.safetensors"), [KeyValuePair.Create("b", b)]);
        File.WriteAllText(Path.Combine(_dir, "model.safetensors.index.json"),
            """{"metadata":{},"weight_map":{"a":"model-00001-of-00002.safetensors","b":"model-00002-of-00002.safetensors"}}""");
        using var ck = Checkpoint.Open(_dir);
        Assert.Equal(2, ck.Files.Count);
        Assert.Equal(new float[] { 3 }, ck.Read("b").ToFloatArray());
        Assert.Equal(new float[] { 1, 2 }, ck.Read("a").ToFloatArray());
        File.WriteAllText(Path.Combine(_dir, "model.safetensors.index.json"), """{"weight_map":{"a":"../evil.safetensors"}}""");
        Assert.Contains("must be a file name", Assert.Throws<SafeTensorsFormatException>(() => Checkpoint.Open(_dir)).Message);
    }

    private string Write(string name, byte[] header, int dataBytes, ulong? headerLength = null)
    {
        var path = Path.Combine(_dir, name);
        using var fs = File.Create(path);
        fs.Write(BitConverter.GetBytes(headerLength ?? (ulong)header.Length));
        fs.Write(header);
        fs.Write(new byte[dataBytes]);
        return path;
    }

    private static byte[] H(string json) => Encoding.UTF8.GetBytes(json);

    [Theory]
    [InlineData("""{"t":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}""", 4, "run past the end")]
    [InlineData("""{"t":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}""", 8, "needs 12 bytes")]
    [InlineData("""{"t":{"dtype":"Q4","shape":[2],"data_offsets":[0,8]}}""", 8, "unsupported dtype 'Q4'")]
    [InlineData("""{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}""", 12, "overlap")]
    [InlineData("""{"t":{"dtype":"F32","shape":[-1],"data_offsets":[0,8]}}""", 8, "non-negative")]
    [InlineData("""{"t":{"dtype":"F32","shape":[2],"data_offsets":[8,0]}}""", 8, "invalid")]
    [InlineData("""{"t": not json""", 8, "not valid JSON")]
    public void RejectsMalformedHeadersNamingTheFileAndTensor(string header, int dataBytes, string expected)
    {
        var path = Write("bad.safetensors", H(header), dataBytes);
        var e = Assert.Throws<SafeTensorsFormatException>(() => SafeTensorsFile.Open(path));
        Assert.Contains(expected, e.Message);
        Assert.Contains(path, e.Message);
    }

    [Fact]
    public void RejectsHugeHeaderLengthAndTruncation()
    {
        var huge = Write("huge.safetensors", H("{}"), 0, headerLength: ulong.MaxValue / 2);
        Assert.Contains("impossible", Assert.Throws<SafeTensorsFormatException>(() => SafeTensorsFile.Open(huge)).Message);
        var tiny = Path.Combine(_dir, "tiny.safetensors");
        File.WriteAllBytes(tiny, [1, 2, 3]);
        Assert.Contains("too short", Assert.Throws<SafeTensorsFormatException>(() => SafeTensorsFile.Open(tiny)).Message);
        // a real fixture cut in half
        var src = File.ReadAllBytes(Path.Combine(TestPaths.Fixtures, "qwen2_tiny_f32", "model.safetensors"));
        var cut = Path.Combine(_dir, "cut.safetensors");
        File.WriteAllBytes(cut, src.AsSpan(0, src.Length / 2).ToArray());
        Assert.Contains("truncated", Assert.Throws<SafeTensorsFormatException>(() => SafeTensorsFile.Open(cut)).Message);
    }
}
