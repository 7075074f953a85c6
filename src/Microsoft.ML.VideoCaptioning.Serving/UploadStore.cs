namespace Microsoft.ML.VideoCaptioning.Serving;

/// <summary>
/// The server's private folder for uploads (created with owner-only permissions). Files get random names chosen by
/// the server; nothing the client sends is used in a path. <see cref="Dispose"/> removes the folder and whatever is left.
/// </summary>
internal sealed class UploadStore : IDisposable
{
    private const UnixFileMode OwnerReadWrite = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    public UploadStore(string? parent)
    {
        if (parent is null)
        {
            Root = Directory.CreateTempSubdirectory("vidcap-serve-").FullName;
            return;
        }
        Directory.CreateDirectory(parent);
        Root = Path.Combine(Path.GetFullPath(parent), "vidcap-serve-" + Guid.NewGuid().ToString("N"));
        if (OperatingSystem.IsWindows()) Directory.CreateDirectory(Root);
        else Directory.CreateDirectory(Root, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
    }

    /// <summary>The private folder.</summary>
    public string Root { get; }

    /// <summary>Number of upload files currently on disk.</summary>
    public int FileCount => Directory.Exists(Root) ? Directory.EnumerateFiles(Root).Count() : 0;

    /// <summary>Creates a new, empty upload file that the caller owns (one reference).</summary>
    public UploadFile Create()
    {
        var path = Path.Combine(Root, Guid.NewGuid().ToString("N") + ".upload");
        var options = new FileStreamOptions
        {
            Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None, Options = FileOptions.Asynchronous,
        };
        if (!OperatingSystem.IsWindows()) options.UnixCreateMode = OwnerReadWrite;
        return new UploadFile(path, new FileStream(path, options));
    }

    public void Dispose()
    {
        try
        {
            if (Directory.Exists(Root)) Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
            // Not removable now (on Windows: a file still open); the folder is owner-only, inside the temporary folder.
        }
    }
}

/// <summary>
/// One uploaded video on disk, deleted when its last holder releases it: the request handler holds it, and so does the
/// batcher while the video is in a batch, so neither deletes it under the other.
/// </summary>
internal sealed class UploadFile
{
    private int _references = 1;
    private FileStream? _writer;

    public UploadFile(string path, FileStream writer)
    {
        Path = path;
        _writer = writer;
    }

    /// <summary>Full path of the file (server-chosen).</summary>
    public string Path { get; }

    /// <summary>Bytes written so far.</summary>
    public long Length { get; private set; }

    /// <summary>Appends data to the file.</summary>
    public async ValueTask WriteAsync(ReadOnlyMemory<byte> data, CancellationToken cancellation)
    {
        var writer = _writer ?? throw new InvalidOperationException("The upload is complete.");
        await writer.WriteAsync(data, cancellation);
        Length += data.Length;
    }

    /// <summary>Flushes and closes the file for writing; it can then be read by the tools.</summary>
    public async ValueTask CompleteAsync()
    {
        if (_writer is null) return;
        var writer = _writer;
        _writer = null;
        await writer.DisposeAsync();
    }

    /// <summary>Adds a holder.</summary>
    public void AddReference() => Interlocked.Increment(ref _references);

    /// <summary>Drops a holder; the last one closes and deletes the file.</summary>
    public void Release()
    {
        if (Interlocked.Decrement(ref _references) != 0) return;
        Interlocked.Exchange(ref _writer, null)?.Dispose();
        try
        {
            File.Delete(Path);
        }
        catch (IOException)
        {
            // Deleted with the store's folder at the latest.
        }
        catch (UnauthorizedAccessException)
        {
            // As above.
        }
    }
}
