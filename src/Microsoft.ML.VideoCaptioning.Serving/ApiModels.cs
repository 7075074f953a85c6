using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Http;

namespace Microsoft.ML.VideoCaptioning.Serving;

/// <summary>Answer of <c>POST /v1/captions</c>.</summary>
/// <param name="Caption">The caption the model wrote.</param>
/// <param name="Frames">Frames sampled from the video and given to the model (black padding frames not counted).</param>
/// <param name="ElapsedMilliseconds">Time the server spent on the request, from its arrival to the caption.</param>
public sealed record CaptionResponse(
    [property: JsonPropertyName("caption")] string Caption,
    [property: JsonPropertyName("frames")] int Frames,
    [property: JsonPropertyName("elapsed_ms")] double ElapsedMilliseconds);

/// <summary>Body of every error answer.</summary>
/// <param name="Error">What went wrong and, where it applies, what to do about it.</param>
public sealed record ErrorResponse([property: JsonPropertyName("error")] string Error);

/// <summary>Answer of <c>GET /healthz</c>.</summary>
/// <param name="Status"><c>ok</c>, or <c>stopping</c> (with 503) while the server shuts down.</param>
public sealed record HealthResponse([property: JsonPropertyName("status")] string Status);

/// <summary>The form of <c>POST /v1/captions</c> (for the OpenAPI document: the server streams the body itself).</summary>
internal sealed class CaptionUploadForm
{
    /// <summary>The video (any container and codec ffmpeg reads); its file name is ignored.</summary>
    public required IFormFile File { get; init; }
}
