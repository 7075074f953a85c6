namespace Microsoft.ML.VideoCaptioning.Models;

/// <summary>A model configuration file that is missing or malformed; the message names the file and the key.</summary>
public sealed class ModelConfigException : Exception
{
    /// <summary>Creates the exception.</summary>
    public ModelConfigException(string message, Exception? inner = null) : base(message, inner) { }
}
