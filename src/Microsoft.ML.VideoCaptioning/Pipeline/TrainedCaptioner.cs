using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.VideoCaptioning.Features;
using Microsoft.ML.VideoCaptioning.Models;
using Microsoft.ML.VideoCaptioning.Video;

namespace Microsoft.ML.VideoCaptioning;

/// <summary>
/// The pieces of a trained captioner that captions, embeds and scores videos outside a row-by-row transform (timeline
/// captioning, indexing, search): how it samples a clip, its frozen encoder and its caption generator, found in a model
/// that samples, encodes and captions videos itself (the chain <c>vidcap train</c>, <c>vidcap demo</c> and the
/// pipeline of the quick start fit). The pieces belong to the model: they live as long as it is not disposed.
/// </summary>
public sealed class TrainedCaptioner
{
    private TrainedCaptioner(VideoFrameSampler.Options sampling, VJepaFeaturizer featurizer, CaptionGenerator generator)
    {
        Sampling = sampling;
        Featurizer = featurizer;
        Generator = generator;
    }

    /// <summary>How the model samples a clip (frame count, crop, preprocessing).</summary>
    public VideoFrameSampler.Options Sampling { get; }

    /// <summary>The frozen encoder.</summary>
    public VJepaFeaturizer Featurizer { get; }

    /// <summary>Captions, embeddings and text scores, with the model's prompt and generation settings.</summary>
    public CaptionGenerator Generator { get; }

    /// <summary>The pieces of <paramref name="model"/>: a chain with a frame sampler, a V-JEPA 2 featurizer and a Q-Former captioner (the last one when there are several).</summary>
    /// <exception cref="ArgumentException">The model lacks one of the three (the message says which).</exception>
    public static TrainedCaptioner From(ITransformer model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var steps = Steps(model).ToList();
        var sampler = steps.OfType<VideoFrameSamplerTransformer>().LastOrDefault();
        var encoder = steps.OfType<VJepaFeaturizerTransformer>().LastOrDefault();
        var captioner = steps.OfType<QFormerCaptionTransformer>().LastOrDefault();
        if (sampler == null || encoder == null || captioner == null)
        {
            string missing = string.Join(", ", new[] { (sampler, "a frame sampler"), ((object?)encoder, "a V-JEPA 2 featurizer"), (captioner, "a Q-Former captioner") }
                .Where(p => p.Item1 == null).Select(p => p.Item2));
            throw new ArgumentException($"The model does not sample, encode and caption videos itself (it lacks {missing}); use a model trained from videos (vidcap train, vidcap demo, or a SampleVideoFrames → FeaturizeVJepa → QFormer pipeline).");
        }
        return new TrainedCaptioner(sampler.Options, encoder.Featurizer, new CaptionGenerator(captioner.Model, captioner.Tokenizer, captioner.Generation));
    }

    // the steps of a chain, chains within it flattened
    private static IEnumerable<ITransformer> Steps(ITransformer model) =>
        model is IEnumerable<ITransformer> chain ? chain.SelectMany(Steps) : [model];
}
