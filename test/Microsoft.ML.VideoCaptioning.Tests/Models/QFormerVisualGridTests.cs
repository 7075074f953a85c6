using Microsoft.ML.VideoCaptioning.Engine;
using Microsoft.ML.VideoCaptioning.Models;
using Microsoft.ML.VideoCaptioning.Models.QFormer;

namespace Microsoft.ML.VideoCaptioning.Tests.Models;

/// <summary>
/// The Q-Former's optional factorised visual position embeddings (our extension; the seed has none, so the invariants
/// stand in for a reference): the layout time[t] + row[h] + col[w], order sensitivity only when on, and a round trip.
/// </summary>
[Collection(nameof(GlobalRng))]
public class QFormerVisualGridTests
{
    private static readonly QFormerConfig Grid = new()
    {
        NumQueries = 3, Dim = 8, NumHeads = 2, Depth = 1, VisualDim = 5, Dropout = 0, MlpDropout = 0,
        VisualGridTime = 2, VisualGridHeight = 3, VisualGridWidth = 4,
    };

    private static QFormerModel Make(QFormerConfig c)
    {
        Torch.ManualSeed(7);
        var q = new QFormerModel(c, TensorOptions.CpuFloat32);
        q.ResetParameters();
        q.Eval();
        return q;
    }

    [Fact]
    public void EmbeddingOfTokenIsTimePlusRowPlusColumn()
    {
        using var q = Make(Grid);
        using var scope = TensorScope.Open();
        var e = q.VisualPositionEmbedding().ToFloatArray();
        float[] time = q.visual_pos_embed_time!.ToFloatArray(), row = q.visual_pos_embed_row!.ToFloatArray(), col = q.visual_pos_embed_col!.ToFloatArray();
        Assert.Equal(2 * 3 * 4 * 8, e.Length);
        for (int t = 0; t < 2; t++)
            for (int h = 0; h < 3; h++)
                for (int w = 0; w < 4; w++)
                    for (int d = 0; d < 8; d++)
                        Assert.Equal(time[t * 8 + d] + row[h * 8 + d] + col[w * 8 + d], e[((t * 3 + h) * 4 + w) * 8 + d], 6);
    }

    [Fact]
    public void OutputDependsOnTokenOrderOnlyWithTheGrid()
    {
        using var scope = TensorScope.Open();
        using var noGrad = Torch.NoGrad();
        var features = Tensor.Randn([1, 24, 5]);
        var swapped = features.IndexSelect(1, Tensor.From(Enumerable.Range(0, 24).Select(i => (long)(i == 0 ? 13 : i == 13 ? 0 : i)).ToArray(), 24));
        using (var plain = Make(Grid with { VisualGridTime = 0, VisualGridHeight = 0, VisualGridWidth = 0 }))
            Fixture.AssertClose(plain.Forward(features), plain.Forward(swapped), what: "without position embeddings the keys are a set");
        using var q = Make(Grid);
        foreach (var p in new[] { q.visual_pos_embed_time!, q.visual_pos_embed_row!, q.visual_pos_embed_col! }) p.NormalInPlace(0, 1);   // trained-size, not init-size
        var a = q.Forward(features).ToFloatArray();
        var b = q.Forward(swapped).ToFloatArray();
        Assert.True(a.Zip(b).Max(p => Math.Abs(p.First - p.Second)) > 1e-3, "moving a token to another time, row and column must change the output");
    }

    [Fact]
    public void SavedAndLoadedModelGivesTheSameOutput()
    {
        var dir = Directory.CreateTempSubdirectory("vidcap-qgrid").FullName;
        try
        {
            using var q = Make(Grid);
            q.SavePretrained(dir);
            using var loaded = QFormerModel.FromPretrained(dir);
            Assert.Equal(Grid, loaded.Config);
            using var scope = TensorScope.Open();
            using var noGrad = Torch.NoGrad();
            var features = Tensor.Randn([2, 24, 5]);
            Fixture.AssertClose(q.Forward(features), loaded.Forward(features), what: "reloaded Q-Former");
        }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public void WrongTokenCountAndPartialGridAreRejected()
    {
        using var q = Make(Grid);
        using var scope = TensorScope.Open();
        var e = Assert.Throws<ArgumentException>(() => q.Forward(Tensor.Randn([1, 23, 5])));
        Assert.Contains("2×3×4", e.Message);
        Assert.Throws<ModelConfigException>(() => (Grid with { VisualGridWidth = 0 }).Validate());
    }
}
