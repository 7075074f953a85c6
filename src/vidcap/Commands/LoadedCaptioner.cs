using System.Security.Cryptography;
using System.Text;
using Microsoft.ML;
using Microsoft.ML.VideoCaptioning.Features;
using Microsoft.ML.VideoCaptioning.Models;
using Microsoft.ML.VideoCaptioning.Video;

namespace Microsoft.ML.VideoCaptioning.Cli.Commands;

/// <summary>
/// A model zip loaded for indexing and search: its pieces (<see cref="TrainedCaptioner"/>) and an identity of the file
/// for resumable indexes; disposing it disposes the model.
/// </summary>
public sealed class LoadedCaptioner : IDisposable
{
    private readonly IDisposable? _owner;

    private LoadedCaptioner(ITransformer model, TrainedCaptioner parts, string identity)
    {
        Parts = parts;
        Identity = identity;
        _owner = model as IDisposable;
    }

    /// <summary>The model's sampling, encoder and caption generator.</summary>
    public TrainedCaptioner Parts { get; }

    /// <summary>How the model samples a clip (frame count, crop, preprocessing).</summary>
    public VideoFrameSampler.Options Sampling => Parts.Sampling;

    /// <summary>The frozen encoder.</summary>
    public VJepaFeaturizer Featurizer => Parts.Featurizer;

    /// <summary>Captions, embeddings and text scores.</summary>
    public CaptionGenerator Generator => Parts.Generator;

    /// <summary>Identifies this model file (path, size and modification time), for resumable indexes.</summary>
    public string Identity { get; }

    /// <summary>Loads a model zip written by <c>vidcap train</c> or <c>vidcap demo</c>.</summary>
    public static LoadedCaptioner Load(string modelPath, string device)
    {
        var ml = new MLContext { GpuDeviceId = CliOptions.GpuId(device) };
        var model = ml.VideoCaptioning().LoadModel(modelPath, out _);
        TrainedCaptioner parts;
        try
        {
            parts = TrainedCaptioner.From(model);
        }
        catch (ArgumentException e)
        {
            (model as IDisposable)?.Dispose();
            throw new UsageException($"'{modelPath}': {e.Message}");
        }
        var file = new FileInfo(modelPath);
        string identity = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes($"{file.FullName}|{file.Length}|{file.LastWriteTimeUtc.Ticks}")))[..16];
        return new LoadedCaptioner(model, parts, identity);
    }

    public void Dispose() => _owner?.Dispose();
}
