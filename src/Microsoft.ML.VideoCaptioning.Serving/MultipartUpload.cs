using System.Buffers;
using System.IO.Pipelines;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Net.Http.Headers;

namespace Microsoft.ML.VideoCaptioning.Serving;

/// <summary>A request that cannot be served: the status code and the message sent as <c>{"error": ...}</c>.</summary>
internal sealed class CaptionRequestException(int statusCode, string message) : Exception(message)
{
    public int StatusCode { get; } = statusCode;
}

/// <summary>
/// Streams the <c>file</c> field of a multipart/form-data body straight into an <see cref="UploadFile"/>, stopping as
/// soon as it grows past the limit. Other fields are read and ignored; the client's file name is never used.
/// </summary>
internal static class MultipartUpload
{
    /// <summary>Name of the form field holding the video.</summary>
    public const string FieldName = "file";

    private const int BufferSize = 64 << 10;

    /// <summary>The error message of a request that is not multipart/form-data (415).</summary>
    public const string NotMultipartMessage = $"Send the video as multipart/form-data in a field named '{FieldName}'.";

    /// <summary>Reads the body; returns the stored file (owned by the caller) or throws <see cref="CaptionRequestException"/>.</summary>
    /// <remarks>
    /// Cancellation interrupts a pending body read without leaving Kestrel's body reader mid-read (see
    /// <see cref="CancellableBodyStream"/>), so the connection can still be closed cleanly after the error answer.
    /// </remarks>
    public static async Task<UploadFile> ReadAsync(HttpRequest request, UploadStore store, long maxFileBytes, CancellationToken cancellation)
    {
        if (!MediaTypeHeaderValue.TryParse(request.ContentType, out var contentType)
            || !contentType.MediaType.Equals("multipart/form-data", StringComparison.OrdinalIgnoreCase))
        {
            throw new CaptionRequestException(StatusCodes.Status415UnsupportedMediaType, NotMultipartMessage);
        }
        var boundary = HeaderUtilities.RemoveQuotes(contentType.Boundary).Value;
        if (string.IsNullOrEmpty(boundary) || boundary.Length > 70)
            throw new CaptionRequestException(StatusCodes.Status400BadRequest, "The multipart/form-data content type has a missing or invalid boundary.");

        using var interrupt = cancellation.Register(() => request.BodyReader.CancelPendingRead());
        var reader = new MultipartReader(boundary, new CancellableBodyStream(request.BodyReader)) { BodyLengthLimit = null };
        UploadFile? file = null;
        try
        {
            while (await reader.ReadNextSectionAsync(cancellation) is { } section)
            {
                if (!ContentDispositionHeaderValue.TryParse(section.ContentDisposition, out var disposition)
                    || !disposition.DispositionType.Equals("form-data", StringComparison.OrdinalIgnoreCase))
                    throw new CaptionRequestException(StatusCodes.Status400BadRequest, "A part of the multipart body is not a form-data field.");
                if (HeaderUtilities.RemoveQuotes(disposition.Name).Value == FieldName)
                {
                    if (file != null) throw new CaptionRequestException(StatusCodes.Status400BadRequest, $"Send one '{FieldName}' field per request.");
                    file = store.Create();
                    await CopyAsync(section.Body, file, maxFileBytes, cancellation);
                    await file.CompleteAsync();
                }
                else
                {
                    await section.Body.CopyToAsync(Stream.Null, cancellation);
                }
            }
        }
        catch (InvalidDataException e)
        {
            file?.Release();
            throw new CaptionRequestException(StatusCodes.Status400BadRequest, $"The multipart body is malformed: {e.Message}");
        }
        catch
        {
            file?.Release();
            throw;
        }
        if (file == null)
            throw new CaptionRequestException(StatusCodes.Status400BadRequest, $"The form has no '{FieldName}' field: send the video in a field named '{FieldName}'.");
        if (file.Length == 0)
        {
            file.Release();
            throw new CaptionRequestException(StatusCodes.Status400BadRequest, $"The '{FieldName}' field is empty.");
        }
        return file;
    }

    /// <summary>The error for an upload over the limit.</summary>
    public static CaptionRequestException TooLarge(long maxFileBytes) =>
        new(StatusCodes.Status413PayloadTooLarge, $"The upload is larger than the limit of {maxFileBytes / CaptionServerOptions.BytesPerMegabyte} MB.");

    private static async Task CopyAsync(Stream source, UploadFile target, long maxFileBytes, CancellationToken cancellation)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(BufferSize);
        try
        {
            int n;
            while ((n = await source.ReadAsync(buffer.AsMemory(0, BufferSize), cancellation)) > 0)
            {
                if (target.Length + n > maxFileBytes) throw TooLarge(maxFileBytes);
                await target.WriteAsync(buffer.AsMemory(0, n), cancellation);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}

/// <summary>
/// A read-only stream over the request's <see cref="PipeReader"/>. A read interrupted by
/// <see cref="PipeReader.CancelPendingRead"/> gives its buffer back before it throws <see cref="OperationCanceledException"/>,
/// unlike the request's own body stream (and unlike cancelling through a token), so Kestrel does not find the body
/// reader mid-read afterwards.
/// </summary>
internal sealed class CancellableBodyStream(PipeReader reader) : Stream
{
    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var result = await reader.ReadAsync(CancellationToken.None);
        var data = result.Buffer;
        if (result.IsCanceled)
        {
            reader.AdvanceTo(data.Start);
            throw new OperationCanceledException("Reading the upload was interrupted.");
        }
        int n = (int)Math.Min(buffer.Length, data.Length);
        data.Slice(0, n).CopyTo(buffer.Span);
        reader.AdvanceTo(data.GetPosition(n));
        return n;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException("Read the upload asynchronously.");
    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
