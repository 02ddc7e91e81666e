using Samsa.Protocol;

namespace Samsa.Client.Network;

/// <summary>
/// Records in an array that the connection sends straight from that array (a gather write) instead of copying them
/// into the serialized request. Immutable; the array's owner keeps it alive until the request is written.
/// </summary>
internal sealed class ArrayRecords(ArraySegment<byte> bytes) : SplicedRecords(bytes.Count)
{
    public ArraySegment<byte> Bytes { get; } = bytes;
}
