using Microsoft.ML.VideoCaptioning.Tests.Video;

namespace Microsoft.ML.VideoCaptioning.Tests.Timeline;

/// <summary>Videos damaged in the middle: a copy whose middle tenth (45 %–55 % of the bytes) is overwritten with noise.</summary>
internal static class DamagedVideos
{
    /// <summary>Makes <paramref name="fileName"/> once: <paramref name="source"/> with its middle tenth overwritten.</summary>
    public static string MiddleOverwritten(GeneratedVideos videos, string fileName, Func<string> source) => videos.GetFile(fileName, path =>
    {
        byte[] bytes = File.ReadAllBytes(source());
        for (int i = bytes.Length * 45 / 100; i < bytes.Length * 55 / 100; i++)
            bytes[i] = (byte)(i * 7919);
        File.WriteAllBytes(path, bytes);
    });
}
