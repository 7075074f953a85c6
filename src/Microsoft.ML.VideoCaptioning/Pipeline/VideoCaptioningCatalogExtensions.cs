using Microsoft.ML.VideoCaptioning;

namespace Microsoft.ML;

/// <summary>
/// The video-captioning entry points on ML.NET's catalogs: <c>ml.Transforms.SampleVideoFrames</c>,
/// <c>ml.Transforms.FeaturizeVJepa</c> and <c>ml.VideoCaptioning()</c> (data, trainer, evaluation).
/// </summary>
public static class VideoCaptioningCatalogExtensions
{
    /// <summary>Video captioning on this context: dataset loaders, the Q-Former trainer, the evaluator, model loading.</summary>
    public static VideoCaptioningCatalog VideoCaptioning(this MLContext mlContext) => new(mlContext);

    /// <summary>Samples <paramref name="frameCount"/> frames of the video named in <paramref name="inputColumnName"/>, resized and cropped to <paramref name="cropSize"/>.</summary>
    /// <param name="catalog">The transforms catalog.</param>
    /// <param name="outputColumnName">The frames column to add: Vector of Single (frameCount, 3, cropSize, cropSize).</param>
    /// <param name="inputColumnName">The video path column (Text).</param>
    /// <param name="frameCount">Frames per clip, spread uniformly over the video (the seed uses 32).</param>
    /// <param name="cropSize">Side of the square crop; it must match the encoder's <c>crop_size</c> (256 for V-JEPA 2 ViT-L).</param>
    public static VideoFrameSamplerEstimator SampleVideoFrames(this TransformsCatalog catalog, string outputColumnName = "Frames",
        string inputColumnName = "VideoPath", int frameCount = 32, int cropSize = 256) =>
        catalog.SampleVideoFrames(new VideoFrameSamplerOptions
        {
            OutputColumnName = outputColumnName, InputColumnName = inputColumnName, FrameCount = frameCount, CropSize = cropSize,
        });

    /// <summary>Samples frames with every setting of <see cref="VideoFrameSamplerOptions"/>.</summary>
    public static VideoFrameSamplerEstimator SampleVideoFrames(this TransformsCatalog catalog, VideoFrameSamplerOptions options) =>
        new(MLNet.Environment(catalog), options);

    /// <summary>Encodes frames with the frozen V-JEPA 2 encoder in <paramref name="encoderPath"/>.</summary>
    /// <param name="catalog">The transforms catalog.</param>
    /// <param name="outputColumnName">The features column to add: Vector of Single (tokens, hidden).</param>
    /// <param name="inputColumnName">The frames column.</param>
    /// <param name="encoderPath">Hugging Face directory of the encoder.</param>
    /// <param name="cacheDirectory">Feature cache shared with <c>vidcap featurize</c> (null = none).</param>
    /// <param name="batchSize">Clips per encoder call.</param>
    /// <param name="gpuDeviceId">GPU to use (null = the context's <c>GpuDeviceId</c>).</param>
    /// <param name="fallbackToCpu">Use the CPU when the GPU cannot be used (null = the context's <c>FallbackToCpu</c>).</param>
    public static VJepaFeaturizerEstimator FeaturizeVJepa(this TransformsCatalog catalog, string outputColumnName, string inputColumnName,
        string encoderPath, string? cacheDirectory = null, int batchSize = 1, int? gpuDeviceId = null, bool? fallbackToCpu = null) =>
        catalog.FeaturizeVJepa(new VJepaFeaturizerOptions
        {
            OutputColumnName = outputColumnName, InputColumnName = inputColumnName, EncoderPath = encoderPath, CacheDirectory = cacheDirectory,
            BatchSize = batchSize, GpuDeviceId = gpuDeviceId, FallbackToCpu = fallbackToCpu,
        });

    /// <summary>Encodes frames with every setting of <see cref="VJepaFeaturizerOptions"/>.</summary>
    public static VJepaFeaturizerEstimator FeaturizeVJepa(this TransformsCatalog catalog, VJepaFeaturizerOptions options) =>
        new(MLNet.Environment(catalog), options);
}
