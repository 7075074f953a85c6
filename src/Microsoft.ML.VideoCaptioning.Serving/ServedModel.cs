using System.IO.Compression;
using System.Text.Json.Nodes;
using Microsoft.ML.VideoCaptioning.Pipeline;

namespace Microsoft.ML.VideoCaptioning.Serving;

/// <summary>
/// The loaded captioning pipeline, its manifest, and the columns the server reads: the video path the first step
/// (<see cref="VideoFrameSamplerTransformer"/>) takes, and the frames, features and caption columns of the result.
/// </summary>
internal sealed class ServedModel : IDisposable
{
    private ServedModel(TransformerChain<QFormerCaptionTransformer> chain, JsonObject manifest, VideoFrameSamplerTransformer sampler)
    {
        Chain = chain;
        Manifest = manifest;
        VideoPathColumn = sampler.InputColumnName;
        FramesColumn = sampler.OutputColumnName;
        FeaturesColumn = chain.LastTransformer.FeaturesColumnName;
        CaptionColumn = chain.LastTransformer.OutputColumnName;
    }

    public TransformerChain<QFormerCaptionTransformer> Chain { get; }

    /// <summary>The zip's manifest.json.</summary>
    public JsonObject Manifest { get; }

    public string VideoPathColumn { get; }
    public string FramesColumn { get; }
    public string FeaturesColumn { get; }
    public string CaptionColumn { get; }

    /// <summary>Loads the zip; throws <see cref="ModelPackageException"/> when it is not a video captioner this server can feed.</summary>
    public static ServedModel Load(string path, ModelLoadOptions options)
    {
        var context = new VideoCaptioningContext(device: options.Device);
        var chain = context.Model.Load(path, out _, options);
        try
        {
            if (chain.Steps[0] is not VideoFrameSamplerTransformer sampler)
                throw new ModelPackageException($"{path}: the pipeline does not start with SampleVideoFrames, so it cannot caption uploaded videos.");
            return new ServedModel(chain, ReadManifest(path), sampler);
        }
        catch
        {
            chain.Dispose();
            throw;
        }
    }

    private static JsonObject ReadManifest(string path)
    {
        using var zip = ZipFile.OpenRead(path);
        var entry = zip.GetEntry("manifest.json") ?? throw new ModelPackageException($"{path}: no manifest.json.");
        using var stream = entry.Open();
        return JsonNode.Parse(stream) as JsonObject ?? throw new ModelPackageException($"{path}: manifest.json is not an object.");
    }

    public void Dispose() => Chain.Dispose();
}
