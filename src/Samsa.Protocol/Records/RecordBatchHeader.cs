using System.Buffers.Binary;

namespace Samsa.Protocol.Records;

/// <summary>
/// The fixed 61-byte header of a record batch v2 (magic 2). All fields are big-endian:
/// <code>
/// offset size field
///      0    8 BaseOffset             (stamped by the broker, outside the CRC)
///      8    4 BatchLength            (bytes after this field)
///     12    4 PartitionLeaderEpoch   (stamped by the broker, outside the CRC)
///     16    1 Magic = 2
///     17    4 Crc                    (CRC-32C of bytes 21 .. end of batch)
///     21    2 Attributes             (bits 0-2 compression, 3 timestamp type, 4 transactional, 5 control, 6 delete horizon)
///     23    4 LastOffsetDelta
///     27    8 BaseTimestamp
///     35    8 MaxTimestamp
///     43    8 ProducerId
///     51    2 ProducerEpoch
///     53    4 BaseSequence
///     57    4 RecordsCount
///     61      records (or their compressed bytes)
/// </code>
/// </summary>
public readonly struct RecordBatchHeader
{
    public const int BaseOffsetOffset = 0;
    public const int BatchLengthOffset = 8;
    public const int PartitionLeaderEpochOffset = 12;
    public const int MagicOffset = 16;
    public const int CrcOffset = 17;
    public const int AttributesOffset = 21;
    public const int LastOffsetDeltaOffset = 23;
    public const int BaseTimestampOffset = 27;
    public const int MaxTimestampOffset = 35;
    public const int ProducerIdOffset = 43;
    public const int ProducerEpochOffset = 51;
    public const int BaseSequenceOffset = 53;
    public const int RecordsCountOffset = 57;
    public const int RecordsOffset = 61;

    /// <summary>BaseOffset and BatchLength: the bytes before the part that BatchLength counts.</summary>
    public const int LogOverhead = 12;

    /// <summary>Size of the whole fixed header.</summary>
    public const int HeaderSize = 61;

    /// <summary>The smallest legal BatchLength: a header with no records.</summary>
    public const int MinBatchLength = HeaderSize - LogOverhead;

    /// <summary>The only magic this type describes.</summary>
    public const byte CurrentMagic = 2;

    public const short CompressionMask = 0x07;
    public const short TimestampTypeMask = 0x08;
    public const short TransactionalMask = 0x10;
    public const short ControlMask = 0x20;
    public const short DeleteHorizonMask = 0x40;

    /// <summary>ProducerId, ProducerEpoch and BaseSequence of a batch written without a producer id.</summary>
    public const long NoProducerId = -1;
    public const short NoProducerEpoch = -1;
    public const int NoSequence = -1;

    /// <summary>PartitionLeaderEpoch before the broker stamps it.</summary>
    public const int NoPartitionLeaderEpoch = -1;

    public long BaseOffset { get; init; }
    public int BatchLength { get; init; }
    public int PartitionLeaderEpoch { get; init; }
    public byte Magic { get; init; }
    public uint Crc { get; init; }
    public short Attributes { get; init; }
    public int LastOffsetDelta { get; init; }
    public long BaseTimestamp { get; init; }
    public long MaxTimestamp { get; init; }
    public long ProducerId { get; init; }
    public short ProducerEpoch { get; init; }
    public int BaseSequence { get; init; }
    public int RecordsCount { get; init; }

    public CompressionType Compression => (CompressionType)(Attributes & CompressionMask);

    public TimestampType TimestampType => (Attributes & TimestampTypeMask) != 0 ? TimestampType.LogAppendTime : TimestampType.CreateTime;

    public bool IsTransactional => (Attributes & TransactionalMask) != 0;

    public bool IsControl => (Attributes & ControlMask) != 0;

    public bool HasDeleteHorizon => (Attributes & DeleteHorizonMask) != 0;

    public bool HasProducerId => ProducerId >= 0;

    /// <summary>Bytes the whole batch occupies: <see cref="LogOverhead"/> + <see cref="BatchLength"/>.</summary>
    public long TotalSize => LogOverhead + (long)BatchLength;

    public long LastOffset => BaseOffset + LastOffsetDelta;

    public long NextOffset => BaseOffset + LastOffsetDelta + 1;

    /// <summary>
    /// Reads the header from the start of <paramref name="source"/>. Returns false when fewer than
    /// <see cref="HeaderSize"/> bytes are available. It checks nothing else: callers check Magic and BatchLength.
    /// </summary>
    public static bool TryRead(ReadOnlySpan<byte> source, out RecordBatchHeader header)
    {
        if (source.Length < HeaderSize)
        {
            header = default;
            return false;
        }

        header = new RecordBatchHeader
        {
            BaseOffset = BinaryPrimitives.ReadInt64BigEndian(source),
            BatchLength = BinaryPrimitives.ReadInt32BigEndian(source[BatchLengthOffset..]),
            PartitionLeaderEpoch = BinaryPrimitives.ReadInt32BigEndian(source[PartitionLeaderEpochOffset..]),
            Magic = source[MagicOffset],
            Crc = BinaryPrimitives.ReadUInt32BigEndian(source[CrcOffset..]),
            Attributes = BinaryPrimitives.ReadInt16BigEndian(source[AttributesOffset..]),
            LastOffsetDelta = BinaryPrimitives.ReadInt32BigEndian(source[LastOffsetDeltaOffset..]),
            BaseTimestamp = BinaryPrimitives.ReadInt64BigEndian(source[BaseTimestampOffset..]),
            MaxTimestamp = BinaryPrimitives.ReadInt64BigEndian(source[MaxTimestampOffset..]),
            ProducerId = BinaryPrimitives.ReadInt64BigEndian(source[ProducerIdOffset..]),
            ProducerEpoch = BinaryPrimitives.ReadInt16BigEndian(source[ProducerEpochOffset..]),
            BaseSequence = BinaryPrimitives.ReadInt32BigEndian(source[BaseSequenceOffset..]),
            RecordsCount = BinaryPrimitives.ReadInt32BigEndian(source[RecordsCountOffset..]),
        };
        return true;
    }
}
