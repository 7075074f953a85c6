namespace Microsoft.ML.VideoCaptioning.Video;

/// <summary>A rectangle of an image: first row, first column, number of rows and of columns.</summary>
internal readonly record struct PixelRegion(int Top, int Left, int Height, int Width);
