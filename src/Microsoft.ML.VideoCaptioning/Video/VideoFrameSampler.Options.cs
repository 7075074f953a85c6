namespace Microsoft.ML.VideoCaptioning.Video;

public sealed partial class VideoFrameSampler
{
    /// <summary>Settings of a <see cref="VideoFrameSampler"/>.</summary>
    public class Options
    {
        /// <summary>Frames per clip, padding included (the seed uses 32).</summary>
        public int FrameCount { get; set; } = 32;

        /// <summary>How frames are picked; <see cref="FrameSamplingMode.Uniform"/> is the seed's rule.</summary>
        public FrameSamplingMode Mode { get; set; } = FrameSamplingMode.Uniform;

        /// <summary>Sampling rate of <see cref="FrameSamplingMode.FrameRate"/> mode, in frames per second.</summary>
        public double FramesPerSecond { get; set; } = 4.0;

        /// <summary>
        /// Start of the time window in seconds from the start of the file (frames whose timestamp is earlier are
        /// ignored); null for the start. ffmpeg seeks there directly, so later windows of long videos are cheap.
        /// </summary>
        public double? StartSeconds { get; set; }

        /// <summary>End of the time window in seconds (frames at or after it are ignored); null for the end of the video.</summary>
        public double? EndSeconds { get; set; }

        /// <summary>Side of the square output frames (V-JEPA 2 <c>crop_size</c>).</summary>
        public int CropSize { get; set; } = 256;

        /// <summary>Shorter side after the resize, derived from <see cref="CropSize"/>: int(crop·256/224) (292 for 256).</summary>
        public int ResizeShortestEdge => VideoPreprocessor.GetShortestEdge(CropSize);

        /// <summary>
        /// Reproduce the seed project's pipeline: squash every frame to 256×256 first (antialiased bilinear, aspect
        /// ratio not kept), then run the processor (→ 292 → center crop).
        /// </summary>
        public bool SeedSquashTo256 { get; set; }

        /// <summary>
        /// Resize the decoded uint8 frames with PyTorch's native uint8 arithmetic (int16 fixed-point weights, each of
        /// the two passes rounded half up and clamped to 0..255), as Hugging Face's processor does for uint8 video on
        /// x86 CPUs (torchvision's path wherever AVX2 is available). When false, frames are resized in float32
        /// without rounding (as for float input). Default true. See <see cref="VideoPreprocessor"/>.
        /// </summary>
        public bool Uint8RoundAfterResize { get; set; } = true;

        /// <summary>
        /// Accept a video whose decoding reported errors (typically a truncated download or recording) when the
        /// frames that do decode are enough: either every requested frame was delivered anyway, or at least half of
        /// the frames the container declares decode, in which case sampling is redone over the decodable frames.
        /// Default false: any decoder error is a <see cref="VideoDecodeReason.CorruptData"/> failure, so that
        /// damaged inputs are noticed; set it for crawled or user-supplied collections.
        /// </summary>
        public bool TolerateCorruptTail { get; set; }

        /// <summary>Time allowed for all ffprobe/ffmpeg runs on one video.</summary>
        public TimeSpan Timeout { get; set; } = VideoProbe.DefaultTimeout;

        internal Options Clone() => (Options)MemberwiseClone();
    }
}
