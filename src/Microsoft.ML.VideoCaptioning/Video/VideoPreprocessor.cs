using System.Buffers;
using System.Numerics;

namespace Microsoft.ML.VideoCaptioning.Video;

/// <summary>
/// V-JEPA 2 frame preprocessing, as Hugging Face's <c>VJEPA2VideoProcessor</c> does it
/// (docs/ARCHITECTURE.md §1.8): resize so the shorter side is <see cref="ShortestEdge"/> = int(crop·256/224)
/// (292 for crop 256) and the longer side int(292·long/short), antialiased bilinear with
/// <c>align_corners=False</c> (torchvision <c>resize(..., antialias=True)</c> on tensors); center crop
/// <c>top = (H'−crop)/2</c>, <c>left = (W'−crop)/2</c>; then <c>(x − 255·mean)/(255·std)</c> in float32 with the
/// ImageNet mean (0.485, 0.456, 0.406) and std (0.229, 0.224, 0.225). One frame becomes
/// <see cref="FrameLength"/> floats laid out (3, crop, crop), channels RGB.
/// </summary>
/// <remarks>
/// <para><b>uint8 rounding.</b> Frames decoded from a video are uint8. For uint8 bilinear resizes on a CPU with
/// AVX2 (any recent x86 machine, where the seed project ran) torchvision calls PyTorch's native uint8 kernel,
/// which does not compute in float and round once: the weights are quantised to int16 fixed point, the
/// horizontal pass writes a uint8 intermediate image (<c>clamp((2^(p−1) + Σ pixel·w) &gt;&gt; p, 0, 255)</c>, i.e.
/// round half up), and the vertical pass does the same. With <see cref="Uint8RoundAfterResize"/> (the default)
/// byte frames go through exactly that arithmetic, which is what the Hugging Face processor does to uint8 video
/// there. (Elsewhere, on CPUs without AVX2 and on GPUs, torchvision resizes in float32 and rounds half to even
/// once; that differs from this by at most one level in some pixels.) Without the option byte frames are resized
/// in float32 like float frames, with no rounding at all, which is what the processor does for float input.
/// Float frames always take the float32 path.</para>
/// <para><b>Seed path.</b> With <see cref="SeedSquashTo256"/> each frame is first squashed to 256×256
/// (antialiased bilinear, aspect ratio not kept, same rounding rule), as the seed project's
/// <c>transforms.Resize((256, 256), antialias=True)</c> does before calling the processor.</para>
/// </remarks>
public sealed class VideoPreprocessor
{
    /// <summary>Side of the seed project's square pre-resize.</summary>
    public const int SeedSquashSize = 256;

    private const int Channels = 3;

    // HF fuses rescale (1/255) and normalize: mean and std are float32 tensors multiplied by 255 in float32.
    private static readonly float[] Mean = [0.485f * 255f, 0.456f * 255f, 0.406f * 255f];
    private static readonly float[] Std = [0.229f * 255f, 0.224f * 255f, 0.225f * 255f];

    /// <summary>Creates a preprocessor.</summary>
    /// <param name="cropSize">Side of the square output (V-JEPA 2 <c>crop_size</c>, 256 for the released models).</param>
    /// <param name="uint8RoundAfterResize">Resize byte frames with PyTorch's uint8 arithmetic (see remarks).</param>
    /// <param name="seedSquashTo256">Squash every frame to 256×256 first, as the seed project does.</param>
    public VideoPreprocessor(int cropSize = 256, bool uint8RoundAfterResize = true, bool seedSquashTo256 = false)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(cropSize, 1);
        CropSize = cropSize;
        ShortestEdge = GetShortestEdge(cropSize);
        Uint8RoundAfterResize = uint8RoundAfterResize;
        SeedSquashTo256 = seedSquashTo256;
    }

    /// <summary>Side of the square output frames.</summary>
    public int CropSize { get; }

    /// <summary>Length of the shorter side after the resize: int(<see cref="CropSize"/>·256/224).</summary>
    public int ShortestEdge { get; }

    /// <summary>Whether byte frames are resized with PyTorch's uint8 fixed-point arithmetic (see remarks).</summary>
    public bool Uint8RoundAfterResize { get; }

    /// <summary>Whether frames are first squashed to 256×256 (the seed project's pipeline).</summary>
    public bool SeedSquashTo256 { get; }

    /// <summary>Floats per output frame: 3·crop·crop.</summary>
    public int FrameLength => Channels * CropSize * CropSize;

    /// <summary>The processor's shorter side for a crop size: int(crop·256/224).</summary>
    public static int GetShortestEdge(int cropSize) => cropSize * 256 / 224;

    /// <summary>
    /// Size after the shortest-edge resize: the shorter side becomes <paramref name="shortestEdge"/>, the longer one
    /// int(shortestEdge·long/short) (truncated, as Hugging Face's <c>get_resize_output_image_size</c>).
    /// </summary>
    public static (int Height, int Width) GetResizedSize(int height, int width, int shortestEdge)
    {
        int shortSide = Math.Min(height, width), longSide = Math.Max(height, width);
        int newLong = (int)((double)((long)shortestEdge * longSide) / shortSide);
        return width <= height ? (newLong, shortestEdge) : (shortestEdge, newLong);
    }

    /// <summary>Preprocesses one uint8 frame.</summary>
    /// <param name="rgb">Interleaved RGB bytes, at least <paramref name="height"/>·<paramref name="width"/>·3 long.</param>
    /// <param name="height">Frame height.</param>
    /// <param name="width">Frame width.</param>
    /// <param name="destination">Receives <see cref="FrameLength"/> floats (3, crop, crop).</param>
    /// <param name="destinationOffset">Where the frame starts in <paramref name="destination"/>.</param>
    public void Preprocess(byte[] rgb, int height, int width, float[] destination, int destinationOffset)
    {
        CheckFrame(rgb.Length, height, width, destination, destinationOffset);
        if (!Uint8RoundAfterResize)
        {
            PreprocessFloat(rgb, height, width, destination, destinationOffset);
            return;
        }
        byte[]? squashed = null;
        byte[] region = ArrayPool<byte>.Shared.Rent(Channels * CropSize * CropSize);
        try
        {
            if (SeedSquashTo256)
            {
                squashed = ArrayPool<byte>.Shared.Rent(Channels * SeedSquashSize * SeedSquashSize);
                AntialiasResampler.ResizeRegion(rgb, (height, width), (SeedSquashSize, SeedSquashSize),
                    new PixelRegion(0, 0, SeedSquashSize, SeedSquashSize), squashed);
                (rgb, height, width) = (squashed, SeedSquashSize, SeedSquashSize);
            }
            var (resized, crop) = CropOf(height, width);
            AntialiasResampler.ResizeRegion(rgb, (height, width), resized, crop, region);
            Normalize(region, destination, destinationOffset);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(region);
            if (squashed is not null)
                ArrayPool<byte>.Shared.Return(squashed);
        }
    }

    /// <summary>Preprocesses one float frame (values on the 0..255 scale), always with float32 arithmetic.</summary>
    /// <param name="rgb">Interleaved RGB floats, at least <paramref name="height"/>·<paramref name="width"/>·3 long.</param>
    /// <param name="height">Frame height.</param>
    /// <param name="width">Frame width.</param>
    /// <param name="destination">Receives <see cref="FrameLength"/> floats (3, crop, crop).</param>
    /// <param name="destinationOffset">Where the frame starts in <paramref name="destination"/>.</param>
    public void Preprocess(float[] rgb, int height, int width, float[] destination, int destinationOffset)
    {
        CheckFrame(rgb.Length, height, width, destination, destinationOffset);
        PreprocessFloat(rgb, height, width, destination, destinationOffset);
    }

    /// <summary>
    /// Preprocesses a whole clip of float frames laid out (T, H, W, 3), as given to the Hugging Face processor,
    /// into a new array laid out (T, 3, crop, crop).
    /// </summary>
    public float[] PreprocessVideo(float[] framesThwc, int frameCount, int height, int width)
    {
        int frameSize = height * width * Channels;
        if (framesThwc.Length < (long)frameCount * frameSize)
            throw new ArgumentException($"Expected {frameCount}×{height}×{width}×3 floats, got {framesThwc.Length}.", nameof(framesThwc));
        var output = new float[(long)frameCount * FrameLength];
        for (int t = 0; t < frameCount; t++)
            Preprocess(framesThwc.AsSpan(t * frameSize, frameSize).ToArray(), height, width, output, t * FrameLength);
        return output;
    }

    /// <summary>Writes a black frame (all zeros before normalisation), as used to pad short clips.</summary>
    public void WriteBlackFrame(float[] destination, int destinationOffset)
    {
        int plane = CropSize * CropSize;
        for (int c = 0; c < Channels; c++)
            destination.AsSpan(destinationOffset + c * plane, plane).Fill(-Mean[c] / Std[c]);
    }

    private void PreprocessFloat<T>(T[] rgb, int height, int width, float[] destination, int destinationOffset)
        where T : unmanaged, INumberBase<T>
    {
        float[]? squashed = null;
        float[] region = ArrayPool<float>.Shared.Rent(Channels * CropSize * CropSize);
        try
        {
            var (resized, crop) = SeedSquashTo256 ? CropOf(SeedSquashSize, SeedSquashSize) : CropOf(height, width);
            if (SeedSquashTo256)
            {
                squashed = ArrayPool<float>.Shared.Rent(Channels * SeedSquashSize * SeedSquashSize);
                AntialiasResampler.ResizeRegion(rgb, (height, width), (SeedSquashSize, SeedSquashSize),
                    new PixelRegion(0, 0, SeedSquashSize, SeedSquashSize), squashed);
                AntialiasResampler.ResizeRegion(squashed, (SeedSquashSize, SeedSquashSize), resized, crop, region);
            }
            else
            {
                AntialiasResampler.ResizeRegion(rgb, (height, width), resized, crop, region);
            }
            Normalize(region, destination, destinationOffset);
        }
        finally
        {
            ArrayPool<float>.Shared.Return(region);
            if (squashed is not null)
                ArrayPool<float>.Shared.Return(squashed);
        }
    }

    private ((int Height, int Width) Resized, PixelRegion Crop) CropOf(int height, int width)
    {
        var resized = GetResizedSize(height, width, ShortestEdge);
        var crop = new PixelRegion((resized.Height - CropSize) / 2, (resized.Width - CropSize) / 2, CropSize, CropSize);
        return (resized, crop);
    }

    // Interleaved (crop, crop, 3) region → planar (3, crop, crop) normalised floats.
    private void Normalize<T>(T[] region, float[] destination, int destinationOffset)
        where T : unmanaged, INumberBase<T>
    {
        int plane = CropSize * CropSize;
        for (int c = 0; c < Channels; c++)
        {
            float mean = Mean[c], std = Std[c];
            var target = destination.AsSpan(destinationOffset + c * plane, plane);
            for (int k = 0; k < plane; k++)
                target[k] = (float.CreateTruncating(region[k * Channels + c]) - mean) / std;
        }
    }

    private void CheckFrame(int length, int height, int width, float[] destination, int destinationOffset)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        if (length < (long)height * width * Channels)
            throw new ArgumentException($"A {height}×{width} RGB frame needs {(long)height * width * Channels} values, got {length}.");
        if (destinationOffset < 0 || destination.Length - destinationOffset < FrameLength)
            throw new ArgumentException($"The destination needs {FrameLength} values from offset {destinationOffset}.", nameof(destination));
    }
}
