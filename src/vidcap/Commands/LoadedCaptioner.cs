using System.Security.Cryptography;
using System.Text;
using Microsoft.ML.VideoCaptioning.Engine;
using Microsoft.ML.VideoCaptioning.Features;
using Microsoft.ML.VideoCaptioning.Models;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.VideoCaptioning.Video;

namespace Microsoft.ML.VideoCaptioning.Cli.Commands;

/// <summary>
/// The pieces of a trained captioner that timeline captioning, indexing and search use, loaded from a model zip by
/// <see cref="Load"/> — the only code here that knows the zip's layout.
/// </summary>
public sealed class LoadedCaptioner : IDisposable
{
    private readonly IDisposable _owner;

    private LoadedCaptioner(VideoFrameSampler.Options sampling, VJepaFeaturizer featurizer, CaptionGenerator generator, string identity, IDisposable owner)
    {
        Sampling = sampling;
        Featurizer = featurizer;
        Generator = generator;
        Identity = identity;
        _owner = owner;
    }

    /// <summary>How the model samples a clip (frame count, crop, preprocessing).</summary>
    public VideoFrameSampler.Options Sampling { get; }

    /// <summary>The frozen encoder.</summary>
    public VJepaFeaturizer Featurizer { get; }

    /// <summary>Captions, embeddings and text scores.</summary>
    public CaptionGenerator Generator { get; }

    /// <summary>Identifies this model file (path, size and modification time), for resumable indexes.</summary>
    public string Identity { get; }

    /// <summary>Loads a model zip written by <c>vidcap train</c> or <c>vidcap demo</c>.</summary>
    public static LoadedCaptioner Load(string modelPath, string device)
    {
        var ml = new MLContext { GpuDeviceId = CliOptions.GpuId(device) };
        var model = ml.VideoCaptioning().LoadModel(modelPath, out _);
        var chain = model as TransformerChain<ITransformer> ?? new TransformerChain<ITransformer>(model);
        var sampler = chain.OfType<VideoFrameSamplerTransformer>().SingleOrDefault();
        var encoder = chain.OfType<VJepaFeaturizerTransformer>().SingleOrDefault();
        var captioner = chain.OfType<QFormerCaptionTransformer>().LastOrDefault();
        if (sampler == null || encoder == null || captioner == null)
        {
            chain.Dispose();
            throw new UsageException($"'{modelPath}' does not sample, encode and caption videos itself; use a model trained from videos (vidcap train or vidcap demo).");
        }
        var file = new FileInfo(modelPath);
        string identity = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes($"{file.FullName}|{file.Length}|{file.LastWriteTimeUtc.Ticks}")))[..16];
        return new LoadedCaptioner(sampler.Options, encoder.Featurizer, new CaptionGenerator(captioner.Model, captioner.Tokenizer, captioner.Generation), identity, chain);
    }

    public void Dispose() => _owner.Dispose();
}
