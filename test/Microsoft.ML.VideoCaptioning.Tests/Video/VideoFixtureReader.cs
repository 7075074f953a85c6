using System.Buffers.Binary;
using System.Text.Json;

namespace Microsoft.ML.VideoCaptioning.Tests.Video;

/// <summary>
/// Minimal test-only safetensors reader for the video fixtures: 8-byte little-endian header length, JSON header,
/// then the data buffer; F32, I64 and BOOL tensors.
/// </summary>
internal sealed class VideoFixtureReader
{
    private readonly byte[] _data;
    private readonly int _dataStart;
    private readonly Dictionary<string, (string DType, int[] Shape, long Begin, long End)> _tensors = new();

    public VideoFixtureReader(string path)
    {
        _data = File.ReadAllBytes(path);
        long headerLength = BinaryPrimitives.ReadInt64LittleEndian(_data);
        _dataStart = checked(8 + (int)headerLength);
        using var header = JsonDocument.Parse(_data.AsMemory(8, (int)headerLength));
        foreach (var entry in header.RootElement.EnumerateObject())
        {
            if (entry.Name == "__metadata__")
                continue;
            var offsets = entry.Value.GetProperty("data_offsets");
            _tensors[entry.Name] = (
                entry.Value.GetProperty("dtype").GetString()!,
                entry.Value.GetProperty("shape").EnumerateArray().Select(d => d.GetInt32()).ToArray(),
                offsets[0].GetInt64(),
                offsets[1].GetInt64());
        }
    }

    public int[] Shape(string name) => _tensors[name].Shape;

    public float[] Float32(string name) => Read(name, "F32", 4, (s, i) => BinaryPrimitives.ReadSingleLittleEndian(s[(i * 4)..]));

    public long[] Int64(string name) => Read(name, "I64", 8, (s, i) => BinaryPrimitives.ReadInt64LittleEndian(s[(i * 8)..]));

    public bool[] Bool(string name) => Read(name, "BOOL", 1, (s, i) => s[i] != 0);

    private delegate T Decode<T>(ReadOnlySpan<byte> bytes, int index);

    private T[] Read<T>(string name, string dtype, int size, Decode<T> decode)
    {
        var (actual, _, begin, end) = _tensors[name];
        if (actual != dtype)
            throw new InvalidDataException($"{name} is {actual}, not {dtype}.");
        var bytes = _data.AsSpan(_dataStart + (int)begin, (int)(end - begin));
        var values = new T[bytes.Length / size];
        for (int i = 0; i < values.Length; i++)
            values[i] = decode(bytes, i);
        return values;
    }
}
