using System.Buffers;
using System.Buffers.Binary;
using Samsa.Protocol;
using Samsa.Protocol.Messages;

namespace Samsa.Client.Network;

/// <summary>
/// A response as received: a pooled buffer holding the correlation id, the response header and the body.
/// Records parsed from it point into the buffer, so it is disposed only once they are no longer read. Not thread-safe.
/// </summary>
public sealed class ResponseFrame : IDisposable
{
    private byte[]? _buffer;
    private readonly int _length;
    private readonly ApiKey _api;
    private readonly short _version;

    internal ResponseFrame(byte[] buffer, int length, ApiKey api, short version)
    {
        _buffer = buffer;
        _length = length;
        _api = api;
        _version = version;
    }

    /// <summary>
    /// The error code at the start of a response body whose header is v0 (ApiVersions): readable even when the rest
    /// of the body is not.
    /// </summary>
    public ErrorCode ErrorCode => _length >= 6 ? (ErrorCode)BinaryPrimitives.ReadInt16BigEndian(_buffer.AsSpan(4)) : ErrorCode.None;

    /// <summary>Parses the response body; the result may point into this frame.</summary>
    public TResponse Parse<TResponse>()
        where TResponse : IProtocolMessage, new()
    {
        var body = new ReadOnlyMemory<byte>(_buffer ?? throw new ObjectDisposedException(nameof(ResponseFrame)), 0, _length);
        var reader = new ProtocolReader(body);
        ResponseHeader.Read(ref reader, ApiMessages.ResponseHeaderVersion(_api, _version));
        var response = new TResponse();
        // An ApiVersions error answer comes back in v0 whatever was asked.
        short bodyVersion = _api == ApiKey.ApiVersions && _length >= 6
            && BinaryPrimitives.ReadInt16BigEndian(_buffer.AsSpan(4)) == (short)ErrorCode.UnsupportedVersion ? (short)0 : _version;
        response.Read(ref reader, bodyVersion);
        return response;
    }

    public void Dispose()
    {
        if (_buffer is { } buffer)
        {
            _buffer = null;
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
