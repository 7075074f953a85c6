using System.Net.Sockets;
using System.Text;

namespace Microsoft.ML.VideoCaptioning.Serving.Tests;

/// <summary>
/// An HTTP/1.1 request written byte by byte on a loopback socket, for what HttpClient cannot do: declare a body and not
/// send it, stop in the middle of a body, or keep a request open.
/// </summary>
public sealed class RawHttp : IDisposable
{
    public const string Boundary = "vidcap-test-boundary";

    private readonly TcpClient _client;
    private readonly NetworkStream _stream;

    private RawHttp(TcpClient client)
    {
        _client = client;
        _stream = client.GetStream();
    }

    /// <summary>Bytes of body written so far.</summary>
    public long BodyBytesSent { get; private set; }

    /// <summary>Connects to the server and sends the head of a multipart POST to /v1/captions (Content-Length when given, else chunked).</summary>
    public static async Task<RawHttp> StartUploadAsync(Uri server, long? contentLength)
    {
        var client = new TcpClient();
        await client.ConnectAsync(server.Host, server.Port);
        var raw = new RawHttp(client);
        var head = new StringBuilder()
            .Append("POST /v1/captions HTTP/1.1\r\n")
            .Append($"Host: {server.Host}:{server.Port}\r\n")
            .Append($"Content-Type: multipart/form-data; boundary={Boundary}\r\n")
            .Append(contentLength is { } n ? $"Content-Length: {n}\r\n" : "Transfer-Encoding: chunked\r\n")
            .Append("\r\n");
        await raw._stream.WriteAsync(Encoding.ASCII.GetBytes(head.ToString()));
        return raw;
    }

    /// <summary>The start of the multipart body: the part header of the <c>file</c> field.</summary>
    public static byte[] FilePartHeader => Encoding.ASCII.GetBytes(
        $"--{Boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"clip.mp4\"\r\nContent-Type: video/mp4\r\n\r\n");

    /// <summary>Writes body bytes as they are (Content-Length bodies).</summary>
    public async Task WriteAsync(byte[] data, CancellationToken cancellation = default)
    {
        await _stream.WriteAsync(data, cancellation);
        BodyBytesSent += data.Length;
    }

    /// <summary>Writes body bytes as one chunk (chunked bodies); the final chunk is never sent.</summary>
    public async Task WriteChunkAsync(byte[] data, CancellationToken cancellation = default)
    {
        await _stream.WriteAsync(Encoding.ASCII.GetBytes($"{data.Length:X}\r\n"), cancellation);
        await _stream.WriteAsync(data, cancellation);
        await _stream.WriteAsync("\r\n"u8.ToArray(), cancellation);
        BodyBytesSent += data.Length;
    }

    /// <summary>Reads the response head and body (Content-Length or chunked); returns the status code, head and body.</summary>
    public async Task<(int Status, string Head, string Body)> ReadResponseAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        var received = new List<byte>();
        var buffer = new byte[8192];
        int headEnd;
        while ((headEnd = IndexOf(received, "\r\n\r\n"u8.ToArray())) < 0)
        {
            int n = await _stream.ReadAsync(buffer, cts.Token);
            if (n == 0) throw new IOException($"the server closed the connection before answering ({received.Count} bytes received)");
            received.AddRange(buffer.AsSpan(0, n));
        }
        var head = Encoding.ASCII.GetString(received.GetRange(0, headEnd).ToArray());
        int status = int.Parse(head.Split(' ')[1]);
        var body = received.Skip(headEnd + 4).ToList();
        bool chunked = head.Contains("Transfer-Encoding: chunked", StringComparison.OrdinalIgnoreCase);
        int? length = head.Split("\r\n").Where(l => l.StartsWith("Content-Length:", StringComparison.OrdinalIgnoreCase))
            .Select(l => (int?)int.Parse(l["Content-Length:".Length..].Trim())).FirstOrDefault();
        while (chunked ? IndexOf(body, "0\r\n\r\n"u8.ToArray()) < 0 : body.Count < (length ?? 0))
        {
            int n = await _stream.ReadAsync(buffer, cts.Token);
            if (n == 0) break;
            body.AddRange(buffer.AsSpan(0, n));
        }
        return (status, head, Encoding.UTF8.GetString(chunked ? Dechunk(body.ToArray()) : body.ToArray()));
    }

    /// <summary>True when the server closes the connection within <paramref name="timeout"/> (reads and drops anything else it sends).</summary>
    public async Task<bool> ClosedByServerAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        var buffer = new byte[8192];
        try
        {
            while (await _stream.ReadAsync(buffer, cts.Token) > 0)
            {
            }
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
        catch (IOException)
        {
            return true;
        }
    }

    public void Dispose() => _client.Dispose();

    private static byte[] Dechunk(byte[] data)
    {
        var result = new List<byte>();
        int at = 0;
        while (at < data.Length)
        {
            int lineEnd = Array.IndexOf(data, (byte)'\r', at);
            int size = Convert.ToInt32(Encoding.ASCII.GetString(data, at, lineEnd - at), 16);
            if (size == 0) break;
            result.AddRange(data.AsSpan(lineEnd + 2, size));
            at = lineEnd + 2 + size + 2;
        }
        return result.ToArray();
    }

    private static int IndexOf(List<byte> data, byte[] pattern)
    {
        for (int i = 0; i + pattern.Length <= data.Count; i++)
        {
            int j = 0;
            while (j < pattern.Length && data[i + j] == pattern[j]) j++;
            if (j == pattern.Length) return i;
        }
        return -1;
    }
}
