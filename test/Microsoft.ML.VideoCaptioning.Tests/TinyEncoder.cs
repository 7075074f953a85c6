using Microsoft.ML.VideoCaptioning.Models;
using Microsoft.ML.VideoCaptioning.Models.VJepa2;

namespace Microsoft.ML.VideoCaptioning.Tests;

/// <summary>
/// A tiny random V-JEPA 2 encoder in Hugging Face layout (written by <see cref="RandomModels"/>), for tests that need some
/// encoder rather than the reference's: they then do not depend on the fixture set.
/// </summary>
internal static class TinyEncoder
{
    /// <summary>hidden 128, 2 layers, 2 heads (head_dim 64, the real RoPE split), patch 16, tubelet 2, crop 64.</summary>
    public static readonly VJepa2Config Config = new() { HiddenSize = 128, NumHiddenLayers = 2, NumAttentionHeads = 2, CropSize = 64 };

    /// <summary>Writes the encoder (or one with <paramref name="config"/>) into <paramref name="dir"/>; returns the directory.</summary>
    public static string Write(string dir, ulong seed = 1, VJepa2Config? config = null)
    {
        RandomModels.WriteVJepa2(dir, config ?? Config, seed);
        return dir;
    }
}
