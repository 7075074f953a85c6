using System.Buffers.Binary;
using System.Text.Json;
using Xunit;

namespace Microsoft.ML.VideoCaptioning.Tests.Text;

/// <summary>Reads I64 tensors from a fixture .safetensors file (8-byte header length, JSON header, data).</summary>
internal static class FixtureInt64Tensors
{
    /// <summary>The rows of a 2-D I64 tensor.</summary>
    public static int[][] ReadMatrix(string path, string name)
    {
        byte[] file = File.ReadAllBytes(path);
        int headerLength = checked((int)BinaryPrimitives.ReadUInt64LittleEndian(file));
        using JsonDocument header = JsonDocument.Parse(file.AsMemory(8, headerLength));
        JsonElement tensor = header.RootElement.GetProperty(name);
        Assert.Equal("I64", tensor.GetProperty("dtype").GetString());
        int[] shape = tensor.GetProperty("shape").EnumerateArray().Select(d => d.GetInt32()).ToArray();
        Assert.Equal(2, shape.Length);
        int begin = 8 + headerLength + tensor.GetProperty("data_offsets")[0].GetInt32();
        return Enumerable.Range(0, shape[0])
            .Select(row => Enumerable.Range(0, shape[1])
                .Select(col => checked((int)BinaryPrimitives.ReadInt64LittleEndian(file.AsSpan(begin + 8 * (row * shape[1] + col)))))
                .ToArray())
            .ToArray();
    }
}
