namespace Microsoft.ML.VideoCaptioning.Video;

/// <summary>File facts about a video path that follow symbolic links.</summary>
internal static class VideoFile
{
    /// <summary>
    /// The file a path finally names. On Unix a <see cref="FileInfo"/> of a symbolic link describes the link itself (its
    /// length is that of the target's path), so size and time stamps of a linked video must come from the target.
    /// A dangling link gives a target that does not exist.
    /// </summary>
    public static FileInfo Resolve(string path)
    {
        var info = new FileInfo(path);
        return info.LinkTarget is null ? info : info.ResolveLinkTarget(returnFinalTarget: true) as FileInfo ?? info;
    }
}
