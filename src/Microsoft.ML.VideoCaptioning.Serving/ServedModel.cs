using System.Text.Json.Nodes;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace Microsoft.ML.VideoCaptioning.Serving;

/// <summary>
/// The loaded ML.NET captioning model, the columns the server reads (the video path the sampler takes, the caption the
/// captioner writes), and a description of it for <c>/v1/model</c> that names no path of this host.
/// </summary>
internal sealed class ServedModel : IDisposable
{
    private readonly TransformerChain<ITransformer> _chain;
    private readonly VideoFailureLog _failures;

    private ServedModel(MLContext ml, TransformerChain<ITransformer> chain, VideoFrameSamplerTransformer sampler, QFormerCaptionTransformer captioner)
    {
        Context = ml;
        _chain = chain;
        Sampler = sampler;
        Captioner = captioner;
        Description = new JsonObject
        {
            ["format"] = "ML.NET model zip",
            ["video_path_column"] = sampler.InputColumnName,
            ["caption_column"] = captioner.CaptionColumnName,
            ["frames"] = sampler.Options.FrameCount,
            ["crop_size"] = sampler.Options.CropSize,
            ["prompt"] = captioner.Prompt,
            ["max_new_tokens"] = captioner.Generation.MaxNewTokens,
            ["num_beams"] = captioner.Generation.NumBeams,
            ["qformer_queries"] = captioner.Model.QFormer.Config.NumQueries,
            ["language_model_hidden_size"] = captioner.Model.LanguageModel.Config.HiddenSize,
        };
        _failures = new VideoFailureLog(ml);
    }

    public MLContext Context { get; }
    public VideoFrameSamplerTransformer Sampler { get; }
    public QFormerCaptionTransformer Captioner { get; }
    public ITransformer Model => _chain;

    /// <summary>What <c>/v1/model</c> shows: settings and shapes, no host paths.</summary>
    public JsonObject Description { get; }

    /// <summary>The reason a video failed (and forgets it), when the pipeline reported one.</summary>
    public string? TakeError(string videoPath) => _failures.Take(videoPath);

    /// <summary>Loads the zip; throws <see cref="ModelPackageException"/> when it is not a video captioner this server can feed.</summary>
    public static ServedModel Load(string path, int? gpuDeviceId, VideoCaptioningLoadOptions options)
    {
        var ml = new MLContext { GpuDeviceId = gpuDeviceId };
        var model = ml.VideoCaptioning().LoadModel(path, out _, options);
        try
        {
            var chain = model as TransformerChain<ITransformer> ?? new TransformerChain<ITransformer>(model);
            if (chain.FirstOrDefault() is not VideoFrameSamplerTransformer sampler)
                throw new ModelPackageException($"{path}: the pipeline does not start with SampleVideoFrames, so it cannot caption uploaded videos.");
            if (chain.LastOrDefault() is not QFormerCaptionTransformer captioner)
                throw new ModelPackageException($"{path}: the pipeline does not end with a Q-Former captioner.");
            return new ServedModel(ml, chain, sampler, captioner);
        }
        catch
        {
            (model as IDisposable)?.Dispose();
            throw;
        }
    }

    public void Dispose()
    {
        _failures.Dispose();
        _chain.Dispose();
    }
}
