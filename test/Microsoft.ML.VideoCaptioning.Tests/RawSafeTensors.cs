using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Microsoft.ML.VideoCaptioning.Tests;

/// <summary>
/// A test-only safetensors reader and editor that needs no libtorch: 8-byte little-endian header length, JSON header,
/// then the data buffer; reads F32, I64 and BOOL tensors, and writes a copy with one value changed or with other names.
/// </summary>
internal sealed class RawSafeTensors
{
    private readonly byte[] _file;
    private readonly int _dataStart;
    private readonly Dictionary<string, (string DType, int[] Shape, int Begin, int End)> _tensors = new();

    public RawSafeTensors(string path)
    {
        _file = File.ReadAllBytes(path);
        int headerLength = checked((int)BinaryPrimitives.ReadUInt64LittleEndian(_file));
        _dataStart = 8 + headerLength;
        using var header = JsonDocument.Parse(_file.AsMemory(8, headerLength));
        foreach (var entry in header.RootElement.EnumerateObject())
        {
            if (entry.Name == "__metadata__")
                continue;
            var offsets = entry.Value.GetProperty("data_offsets");
            _tensors[entry.Name] = (
                entry.Value.GetProperty("dtype").GetString()!,
                entry.Value.GetProperty("shape").EnumerateArray().Select(d => d.GetInt32()).ToArray(),
                offsets[0].GetInt32(),
                offsets[1].GetInt32());
        }
    }

    /// <summary>The tensor names, sorted.</summary>
    public IEnumerable<string> Names => _tensors.Keys.Order(StringComparer.Ordinal);

    public int[] Shape(string name) => _tensors[name].Shape;

    public float[] Float32(string name) => Read(name, "F32", 4, (s, i) => BinaryPrimitives.ReadSingleLittleEndian(s[(i * 4)..]));

    public long[] Int64(string name) => Read(name, "I64", 8, (s, i) => BinaryPrimitives.ReadInt64LittleEndian(s[(i * 8)..]));

    /// <summary>The rows of a 2-D I64 tensor, as int.</summary>
    public int[][] Int64Rows(string name)
    {
        int[] shape = Shape(name);
        Assert.Equal(2, shape.Length);
        long[] values = Int64(name);
        return Enumerable.Range(0, shape[0]).Select(r => values.Skip(r * shape[1]).Take(shape[1]).Select(v => checked((int)v)).ToArray()).ToArray();
    }

    /// <summary>
    /// The file's bytes with the central element of <paramref name="name"/> (index ⌊size/2⌋ along every dimension: the
    /// middle position of the second row, the centre pixel of the middle frame) changed: a float moves by 5 % of the
    /// tensor's largest magnitude plus 0.01; an integer's lowest bit flips (a mask 0 ↔ 1, an id to its neighbour),
    /// and so does a bool.
    /// </summary>
    public byte[] WithOneValueChanged(string name)
    {
        var (dtype, shape, begin, _) = _tensors[name];
        int index = 0;
        foreach (int size in shape) index = index * size + size / 2;
        var copy = (byte[])_file.Clone();
        switch (dtype)
        {
            case "F32":
            {
                var at = copy.AsSpan(_dataStart + begin + index * 4, 4);
                float max = Float32(name).Max(MathF.Abs);
                BinaryPrimitives.WriteSingleLittleEndian(at, BinaryPrimitives.ReadSingleLittleEndian(at) + 0.05f * max + 0.01f);
                break;
            }
            case "I64":
            {
                var at = copy.AsSpan(_dataStart + begin + index * 8, 8);
                BinaryPrimitives.WriteInt64LittleEndian(at, BinaryPrimitives.ReadInt64LittleEndian(at) ^ 1);
                break;
            }
            case "BOOL":
                copy[_dataStart + begin + index] ^= 1;
                break;
            default:
                throw new NotSupportedException($"{name}: dtype {dtype} cannot be changed by this test helper.");
        }
        return copy;
    }

    /// <summary>The file's bytes with every tensor renamed by <paramref name="rename"/>; the data is unchanged.</summary>
    public byte[] WithNames(Func<string, string> rename)
    {
        var header = JsonNode.Parse(_file.AsSpan(8, _dataStart - 8))!.AsObject();
        var renamed = new JsonObject();
        foreach (var (name, info) in header) renamed[name == "__metadata__" ? name : rename(name)] = info?.DeepClone();
        byte[] json = Encoding.UTF8.GetBytes(renamed.ToJsonString());
        int padded = (json.Length + 7) / 8 * 8;
        var result = new byte[8 + padded + (_file.Length - _dataStart)];
        BinaryPrimitives.WriteUInt64LittleEndian(result, (ulong)padded);
        result.AsSpan(8, padded).Fill((byte)' ');
        json.CopyTo(result, 8);
        _file.AsSpan(_dataStart).CopyTo(result.AsSpan(8 + padded));
        return result;
    }

    private delegate T Decode<T>(ReadOnlySpan<byte> bytes, int index);

    private T[] Read<T>(string name, string dtype, int size, Decode<T> decode)
    {
        var (actual, _, begin, end) = _tensors[name];
        if (actual != dtype)
            throw new InvalidDataException($"{name} is {actual}, not {dtype}.");
        var bytes = _file.AsSpan(_dataStart + begin, end - begin);
        var values = new T[bytes.Length / size];
        for (int i = 0; i < values.Length; i++)
            values[i] = decode(bytes, i);
        return values;
    }
}
