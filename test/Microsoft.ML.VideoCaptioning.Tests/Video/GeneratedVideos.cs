using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;

namespace Microsoft.ML.VideoCaptioning.Tests.Video;

/// <summary>
/// Small test videos made with ffmpeg at test time in a private temporary directory (deleted on dispose).
/// "Indexed" videos give frame k a solid colour that encodes k: R = 8·(k mod 32), G = 8·(⌊k/32⌋ mod 32),
/// B = 8·⌊k/1024⌋, so a decoded frame tells which source frame it is even after lossy coding.
/// </summary>
public sealed class GeneratedVideos : IDisposable
{
    private readonly ConcurrentDictionary<string, Lazy<string>> _made = new();

    public string Directory { get; } = Path.Combine(Path.GetTempPath(), "vidcap-video-tests-" + Guid.NewGuid().ToString("N"));

    public GeneratedVideos() => System.IO.Directory.CreateDirectory(Directory);

    /// <summary>The lavfi source of an indexed 64×48 video: <paramref name="frames"/> frames at 10 fps.</summary>
    public static string IndexedSource(int frames) =>
        string.Create(CultureInfo.InvariantCulture,
            $"color=c=black:s=64x48:r=10:d={frames / 10.0},format=gbrp,geq=r='8*mod(N,32)':g='8*mod(floor(N/32),32)':b='8*floor(N/1024)'");

    /// <summary>The frame index encoded in the colour of the middle pixel of an indexed frame.</summary>
    public static int FrameIndexOf(byte[] rgb, int width, int height)
    {
        int p = ((height / 2) * width + width / 2) * 3;
        return (int)Math.Round(rgb[p] / 8.0) + 32 * (int)Math.Round(rgb[p + 1] / 8.0) + 1024 * (int)Math.Round(rgb[p + 2] / 8.0);
    }

    /// <summary>Makes <paramref name="fileName"/> once with <c>ffmpeg -y [arguments] file</c> and returns its path.</summary>
    public string Get(string fileName, params string[] arguments) =>
        _made.GetOrAdd(fileName, name => new Lazy<string>(() =>
        {
            string path = Path.Combine(Directory, name);
            RunFFmpeg([.. arguments, path]);
            return path;
        })).Value;

    /// <summary>Makes a file with arbitrary content once.</summary>
    public string GetFile(string fileName, Action<string> write) =>
        _made.GetOrAdd(fileName, name => new Lazy<string>(() =>
        {
            string path = Path.Combine(Directory, name);
            write(path);
            return path;
        })).Value;

    /// <summary>Runs ffmpeg (from PATH) and returns its standard output bytes; fails the test on a non-zero exit.</summary>
    public static byte[] RunFFmpeg(params string[] arguments)
    {
        var info = new ProcessStartInfo("ffmpeg") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string argument in new[] { "-nostdin", "-hide_banner", "-v", "error", "-y" }.Concat(arguments))
            info.ArgumentList.Add(argument);
        using var process = Process.Start(info)!;
        var errors = process.StandardError.ReadToEndAsync();
        using var output = new MemoryStream();
        process.StandardOutput.BaseStream.CopyTo(output);
        process.WaitForExit();
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"ffmpeg {string.Join(' ', arguments)} failed: {errors.Result}");
        return output.ToArray();
    }

    public void Dispose() => System.IO.Directory.Delete(Directory, recursive: true);
}
