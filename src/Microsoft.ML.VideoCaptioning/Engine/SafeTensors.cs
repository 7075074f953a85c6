using System.IO.MemoryMappedFiles;
using System.Text;
using System.Text.Json;

namespace Microsoft.ML.VideoCaptioning.Engine;

/// <summary>Name, type, shape and byte range (relative to the data buffer) of one tensor in a safetensors file.</summary>
public sealed record SafeTensorInfo(string Name, DType DType, long[] Shape, long Begin, long End)
{
    /// <summary>Number of elements.</summary>
    public long NumEl => Shape.Aggregate(1L, (a, b) => a * b);
}

/// <summary>A safetensors file or checkpoint that is malformed; the message names the file and the tensor.</summary>
public sealed class SafeTensorsFormatException : Exception
{
    /// <summary>Creates the exception.</summary>
    public SafeTensorsFormatException(string message, Exception? inner = null) : base(message, inner) { }
}

/// <summary>
/// A memory-mapped safetensors file (8-byte little-endian header length, JSON header, data buffer). The whole header is
/// validated before any tensor byte is touched: length bound, known dtypes, shape × element size = byte span, offsets
/// inside the buffer, no overlap.
/// </summary>
public sealed unsafe class SafeTensorsFile : IDisposable
{
    /// <summary>Largest header accepted (the format's reference implementation uses the same 100 MB bound).</summary>
    public const long MaxHeaderBytes = 100_000_000;

    private readonly MemoryMappedFile? _map;
    private readonly MemoryMappedViewAccessor? _view;
    private readonly byte* _data;
    private bool _disposed;

    /// <summary>The file's path.</summary>
    public string Path { get; }

    /// <summary>The tensors, by name.</summary>
    public IReadOnlyDictionary<string, SafeTensorInfo> Tensors { get; }

    /// <summary>The header's <c>__metadata__</c> strings.</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    private SafeTensorsFile(string path, MemoryMappedFile? map, MemoryMappedViewAccessor? view, byte* data,
        Dictionary<string, SafeTensorInfo> tensors, Dictionary<string, string> metadata)
    {
        Path = path;
        _map = map;
        _view = view;
        _data = data;
        Tensors = tensors;
        Metadata = metadata;
    }

    /// <summary>Opens and validates a file.</summary>
    public static SafeTensorsFile Open(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"safetensors file not found: {path}", path);
        Dictionary<string, SafeTensorInfo> tensors;
        Dictionary<string, string> metadata;
        long dataOffset, length;
        using (var fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read))
        {
            // The opened file's length: FileInfo would give a symbolic link's own size (the Hugging Face cache links its files).
            length = fs.Length;
            if (length < 8) throw new SafeTensorsFormatException($"{path}: {length} bytes is too short for a safetensors file (8-byte header length missing).");
            Span<byte> lenBytes = stackalloc byte[8];
            fs.ReadExactly(lenBytes);
            ulong n = BitConverter.ToUInt64(lenBytes);
            if (n > MaxHeaderBytes || (long)n > length - 8)
                throw new SafeTensorsFormatException($"{path}: header length {n} is impossible (file has {length} bytes, limit {MaxHeaderBytes}); the file is truncated or not safetensors.");
            var header = new byte[n];
            fs.ReadExactly(header);
            dataOffset = 8 + (long)n;
            (tensors, metadata) = ParseHeader(path, header, length - dataOffset);
        }
        if (length == dataOffset) return new SafeTensorsFile(path, null, null, null, tensors, metadata);
        var map = MemoryMappedFile.CreateFromFile(path, FileMode.Open, null, 0, MemoryMappedFileAccess.Read);
        var view = map.CreateViewAccessor(0, length, MemoryMappedFileAccess.Read);
        byte* basePtr = null;
        view.SafeMemoryMappedViewHandle.AcquirePointer(ref basePtr);
        return new SafeTensorsFile(path, map, view, basePtr + view.PointerOffset + dataOffset, tensors, metadata);
    }

    private static (Dictionary<string, SafeTensorInfo>, Dictionary<string, string>) ParseHeader(string path, byte[] header, long dataLength)
    {
        JsonDocument doc;
        try { doc = JsonDocument.Parse(header); }
        catch (JsonException e) { throw new SafeTensorsFormatException($"{path}: the header is not valid JSON ({e.Message}).", e); }
        using var _ = doc;
        if (doc.RootElement.ValueKind != JsonValueKind.Object) throw new SafeTensorsFormatException($"{path}: the header is not a JSON object.");
        var tensors = new Dictionary<string, SafeTensorInfo>();
        var metadata = new Dictionary<string, string>();
        foreach (var prop in doc.RootElement.EnumerateObject())
        {
            if (prop.Name == "__metadata__")
            {
                if (prop.Value.ValueKind == JsonValueKind.Object)
                    foreach (var m in prop.Value.EnumerateObject()) metadata[m.Name] = m.Value.ValueKind == JsonValueKind.String ? m.Value.GetString()! : m.Value.GetRawText();
                continue;
            }
            tensors[prop.Name] = ParseEntry(path, prop.Name, prop.Value, dataLength);
        }
        var sorted = tensors.Values.Where(t => t.End > t.Begin).OrderBy(t => t.Begin).ToList();
        for (int i = 1; i < sorted.Count; i++)
            if (sorted[i].Begin < sorted[i - 1].End)
                throw new SafeTensorsFormatException($"{path}: tensors '{sorted[i - 1].Name}' and '{sorted[i].Name}' overlap in the data buffer.");
        return (tensors, metadata);
    }

    private static SafeTensorInfo ParseEntry(string path, string name, JsonElement e, long dataLength)
    {
        string Where() => $"{path}: tensor '{name}'";
        if (e.ValueKind != JsonValueKind.Object) throw new SafeTensorsFormatException($"{Where()}: entry is not an object.");
        if (!e.TryGetProperty("dtype", out var dt) || dt.ValueKind != JsonValueKind.String)
            throw new SafeTensorsFormatException($"{Where()}: missing dtype.");
        var dtype = dt.GetString() switch
        {
            "F32" => DType.Float32,
            "F16" => DType.Float16,
            "BF16" => DType.BFloat16,
            "I64" => DType.Int64,
            "BOOL" => DType.Bool,
            "U8" => DType.UInt8,
            "I32" => DType.Int32,
            "F64" => DType.Float64,
            var other => throw new SafeTensorsFormatException($"{Where()}: unsupported dtype '{other}' (supported: F32, F16, BF16, F64, I64, I32, U8, BOOL)."),
        };
        if (!e.TryGetProperty("shape", out var sh) || sh.ValueKind != JsonValueKind.Array)
            throw new SafeTensorsFormatException($"{Where()}: missing shape.");
        var shape = new long[sh.GetArrayLength()];
        int k = 0;
        long numel = 1;
        foreach (var d in sh.EnumerateArray())
        {
            if (d.ValueKind != JsonValueKind.Number || !d.TryGetInt64(out var v) || v < 0)
                throw new SafeTensorsFormatException($"{Where()}: shape entry {d.GetRawText()} is not a non-negative integer.");
            shape[k++] = v;
            numel = v == 0 ? 0 : (numel > long.MaxValue / v ? throw new SafeTensorsFormatException($"{Where()}: shape overflows.") : numel * v);
        }
        if (!e.TryGetProperty("data_offsets", out var off) || off.ValueKind != JsonValueKind.Array || off.GetArrayLength() != 2)
            throw new SafeTensorsFormatException($"{Where()}: data_offsets must be [begin, end].");
        if (!off[0].TryGetInt64(out var begin) || !off[1].TryGetInt64(out var end) || begin < 0 || end < begin)
            throw new SafeTensorsFormatException($"{Where()}: data_offsets {off.GetRawText()} are invalid.");
        if (end > dataLength)
            throw new SafeTensorsFormatException($"{Where()}: data_offsets {off.GetRawText()} run past the end of the data buffer ({dataLength} bytes); the file is truncated.");
        if (numel > long.MaxValue / 8 || numel * dtype.ElementSize() != end - begin)
            throw new SafeTensorsFormatException($"{Where()}: {dt.GetString()}[{string.Join(", ", shape)}] needs {numel * dtype.ElementSize()} bytes but data_offsets span {end - begin}.");
        return new SafeTensorInfo(name, dtype, shape, begin, end);
    }

    /// <summary>Reads one tensor into a new tensor on <paramref name="device"/>, converted to <paramref name="dtype"/> when given.</summary>
    public Tensor Read(string name, Device device = default, DType? dtype = null)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (!Tensors.TryGetValue(name, out var info)) throw new KeyNotFoundException($"{Path}: no tensor named '{name}'.");
        using var scope = TensorScope.Open();
        var t = Tensor.FromPointer(_data + info.Begin, info.End - info.Begin, info.DType, info.Shape, Device.Cpu);
        if (dtype.HasValue && dtype.Value != info.DType) t = t.To(dtype.Value);
        if (device.IsCuda) t = t.To(device);
        return t.MoveToOuterScope();
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        if (_view != null)
        {
            _view.SafeMemoryMappedViewHandle.ReleasePointer();
            _view.Dispose();
        }
        _map?.Dispose();
    }

    /// <summary>
    /// Writes tensors to a safetensors file atomically (a temporary file in the same folder, then a rename), so a
    /// crash never leaves a half-written file under <paramref name="path"/>.
    /// </summary>
    public static void Save(string path, IEnumerable<KeyValuePair<string, Tensor>> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        var list = tensors.OrderBy(kv => kv.Key, StringComparer.Ordinal).ToList();
        var header = new Dictionary<string, object>();
        var meta = new Dictionary<string, string> { ["format"] = "pt" };
        if (metadata != null) foreach (var kv in metadata) meta[kv.Key] = kv.Value;
        header["__metadata__"] = meta;
        long offset = 0;
        foreach (var (name, t) in list)
        {
            long bytes = t.NumEl * t.DType.ElementSize();
            header[name] = new Dictionary<string, object>
            {
                ["dtype"] = t.DType switch
                {
                    DType.Float32 => "F32", DType.Float16 => "F16", DType.BFloat16 => "BF16", DType.Int64 => "I64",
                    DType.Bool => "BOOL", DType.UInt8 => "U8", DType.Int32 => "I32", DType.Float64 => "F64",
                    _ => throw new NotSupportedException(t.DType.ToString()),
                },
                ["shape"] = t.Shape,
                ["data_offsets"] = new[] { offset, offset + bytes },
            };
            offset += bytes;
        }
        var json = JsonSerializer.SerializeToUtf8Bytes(header);
        int padded = (json.Length + 7) / 8 * 8;
        var dir = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path))!;
        Directory.CreateDirectory(dir);
        var tmp = System.IO.Path.Combine(dir, $".{System.IO.Path.GetFileName(path)}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var fs = new FileStream(tmp, FileMode.CreateNew, FileAccess.Write))
            {
                fs.Write(BitConverter.GetBytes((ulong)padded));
                fs.Write(json);
                for (int i = json.Length; i < padded; i++) fs.WriteByte((byte)' ');
                foreach (var (_, t) in list) fs.Write(t.ToBytes());
                fs.Flush(flushToDisk: true);
            }
            File.Move(tmp, path, overwrite: true);
        }
        finally
        {
            if (File.Exists(tmp)) File.Delete(tmp);
        }
    }
}
