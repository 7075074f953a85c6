namespace Microsoft.ML.VideoCaptioning.Evaluation;

/// <summary>A caption file (references or candidates) cannot be used: unreadable, malformed or inconsistent.</summary>
public sealed class CaptionDataException : Exception
{
    /// <summary>The file the problem was found in, when there is one.</summary>
    public string? FilePath { get; }

    /// <summary>Creates the exception.</summary>
    public CaptionDataException(string message, string? filePath = null, Exception? innerException = null)
        : base(message, innerException)
    {
        FilePath = filePath;
    }
}
