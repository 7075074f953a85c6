using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.VideoCaptioning.Data;

namespace Microsoft.ML.VideoCaptioning.Tests.Pipeline;

public sealed class DatasetLoaderTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("vidcap-data-").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    [Fact]
    public void Ssv2ValidationWithSeedParaphrases()
    {
        var ann = Path.Combine(TestPaths.Data, "ssv2", "something-something-v2-validation.first200.json");
        var para = Path.Combine(_dir, "para.json");
        File.WriteAllText(para, """{"74225": ["a cube spins then stops"]}""");
        var rows = DatasetLoaders.Ssv2(ann, "/videos", para).ToList();
        Assert.Equal(200, rows.Count);
        Assert.Equal("74225", rows[0].Id);
        Assert.Equal("/videos/74225.webm", rows[0].VideoPath);
        Assert.Equal(["spinning cube that quickly stops spinning", "a cube spins then stops"], rows[0].Captions);
        Assert.All(rows.Skip(1), r => Assert.Single(r.Captions));
        // the label file is not an annotation list
        var labels = Path.Combine(TestPaths.Data, "ssv2", "something-something-v2-labels.json");
        Assert.Throws<DatasetFormatException>(() => DatasetLoaders.Ssv2(labels, "/videos").ToList());
        var view = new MLContext().VideoCaptioning().Data.LoadSsv2(ann, "/videos");
        Assert.Equal(new VectorDataViewType(TextDataViewType.Instance), view.Schema["Captions"].Type);
        Assert.Equal(TextDataViewType.Instance, view.Schema["VideoPath"].Type);
        Assert.Equal(200, view.GetColumn<string[]>("Captions").Count());
    }

    [Fact]
    public void JsonlCsvMsrVttAndVatex()
    {
        var jsonl = Path.Combine(_dir, "d.jsonl");
        File.WriteAllLines(jsonl, ["""{"video": "v/a.mp4", "captions": ["one", "two"]}""", "", """{"video": "/abs/b.mp4", "caption": "three", "id": 7}"""]);
        var j = DatasetLoaders.Jsonl(jsonl).ToList();
        Assert.Equal(Path.Combine(_dir, "v", "a.mp4"), j[0].VideoPath);
        Assert.Equal(["one", "two"], j[0].Captions);
        Assert.Equal(("7", "/abs/b.mp4", "three"), (j[1].Id, j[1].VideoPath, j[1].Captions[0]));
        File.WriteAllLines(jsonl, ["""{"video": "a.mp4"}""", "{oops"]);
        Assert.Contains(":2:", Assert.Throws<DatasetFormatException>(() => DatasetLoaders.Jsonl(jsonl).ToList()).Message);

        var csv = Path.Combine(_dir, "d.csv");
        File.WriteAllLines(csv, ["video,caption", "a.mp4,\"a man, walking\"", "a.mp4,a person walks", "b.mp4,\"say \"\"hi\"\"\""]);
        var c = DatasetLoaders.Csv(csv).ToList();
        Assert.Equal(2, c.Count);
        Assert.Equal(["a man, walking", "a person walks"], c[0].Captions);
        Assert.Equal("say \"hi\"", c[1].Captions[0]);

        var msr = Path.Combine(_dir, "videodatainfo.json");
        File.WriteAllText(msr, """{"videos":[{"video_id":"video0","split":"train"},{"video_id":"video1","split":"test"}],"sentences":[{"video_id":"video0","caption":"a cat"},{"video_id":"video0","caption":"a kitten"},{"video_id":"video1","caption":"a dog"}]}""");
        var m = DatasetLoaders.MsrVtt(msr, "/v", "train").ToList();
        Assert.Single(m);
        Assert.Equal(["a cat", "a kitten"], m[0].Captions);
        Assert.Equal("/v/video0.mp4", m[0].VideoPath);

        var vatex = Path.Combine(_dir, "vatex.json");
        File.WriteAllText(vatex, """[{"videoID":"abc_000010_000020","enCap":["x","y"],"chCap":["z"]}]""");
        var v = DatasetLoaders.Vatex(vatex, "/v").Single();
        Assert.Equal(("abc_000010_000020", "/v/abc_000010_000020.mp4"), (v.Id, v.VideoPath));
        Assert.Equal(["x", "y"], v.Captions);
    }
}
