using System.Buffers;

namespace Samsa.Protocol;

/// <summary>
/// A records field whose bytes the transport sends itself, for example straight from a log segment file with
/// sendfile(2), instead of copying them through the serialized message. Wrapped as
/// <see cref="ReadOnlyMemory{T}"/> (through <see cref="MemoryManager{T}.Memory"/>) it has the right
/// <see cref="ReadOnlyMemory{T}.Length"/> for sizing, but its bytes cannot be read: a
/// <see cref="ProtocolWriter"/> given a splice list writes only the length prefix and notes where the bytes
/// belong (<see cref="RecordsSplice"/>). Immutable; thread-safe.
/// </summary>
public abstract class SplicedRecords : MemoryManager<byte>
{
    protected SplicedRecords(int length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        Length = length;
    }

    /// <summary>Bytes of records.</summary>
    public int Length { get; }

    public override Memory<byte> Memory => CreateMemory(Length);

    public override Span<byte> GetSpan() =>
        throw new NotSupportedException("Spliced records are sent by the transport; their bytes are not in memory.");

    public override MemoryHandle Pin(int elementIndex = 0) =>
        throw new NotSupportedException("Spliced records cannot be pinned.");

    public override void Unpin()
    {
    }

    protected override void Dispose(bool disposing)
    {
    }
}

/// <summary>
/// Where spliced records belong in a serialized message: their bytes follow the first <paramref name="Position"/>
/// bytes the writer wrote. <paramref name="Start"/> and <paramref name="Length"/> select the part of
/// <paramref name="Records"/> the field holds.
/// </summary>
public readonly record struct RecordsSplice(int Position, SplicedRecords Records, int Start, int Length);
