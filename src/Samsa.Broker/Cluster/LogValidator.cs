using System.Buffers.Binary;
using System.Runtime.InteropServices;
using Samsa.Broker.Config;
using Samsa.Protocol;
using Samsa.Protocol.Compression;
using Samsa.Protocol.Records;

namespace Samsa.Broker.Cluster;

/// <summary>
/// The broker's checks and conversions of one partition's produced records before they are appended, as Kafka's
/// LogValidator: it validates the batch and every record (decompressing a compressed payload as a bounded stream, see
/// <see cref="BatchValidator.ValidateProduceBatch"/>) against the topic's settings, then either
/// <list type="bullet">
/// <item>keeps the producer's bytes (compression.type is <c>producer</c> or equals the batch's codec), editing only the
/// header: MaxTimestamp and the timestamp-type bit for <c>message.timestamp.type=LogAppendTime</c> (or a MaxTimestamp
/// that disagrees with the records), with the CRC recomputed only when a CRC-covered field changed; or</item>
/// <item>recompresses the records with the topic's codec into a new batch with the same header fields (the records
/// themselves are unchanged), which must still fit <c>max.message.bytes</c> (MESSAGE_TOO_LARGE otherwise).</item>
/// </list>
/// Produce below v7 may not carry zstd (UNSUPPORTED_COMPRESSION_TYPE, as Kafka). Thread-safe (stateless).
/// </summary>
internal static class LogValidator
{
    /// <summary>The first Produce version that may carry zstd batches.</summary>
    public const short FirstZstdProduceVersion = 7;

    /// <summary>A version at or above every Produce version, for callers that do not know the request's.</summary>
    public const short AnyProduceVersion = short.MaxValue;

    /// <summary>
    /// Validates <paramref name="records"/> (the request's buffer for one partition, which this may edit in place) for a
    /// topic with <paramref name="config"/> at broker time <paramref name="now"/> (ms since the epoch).
    /// </summary>
    public static LogValidationResult Validate(ReadOnlyMemory<byte> records, EffectiveTopicConfig config, long now, short produceVersion = AnyProduceVersion)
    {
        ArgumentNullException.ThrowIfNull(config);
        ReadOnlySpan<byte> span = records.Span;
        if (produceVersion < FirstZstdProduceVersion
            && span.Length >= RecordBatchHeader.AttributesOffset + 2
            && (BinaryPrimitives.ReadInt16BigEndian(span[RecordBatchHeader.AttributesOffset..]) & RecordBatchHeader.CompressionMask) == (int)CompressionType.Zstd)
        {
            return LogValidationResult.Fail(ErrorCode.UnsupportedCompressionType, $"Produce v{produceVersion} may not carry zstd batches (v7+ may).");
        }

        var policy = PolicyFor(config, now);
        CompressionType? topicCodec = TargetCodec(config.CompressionType);
        CompressionType sourceCodec = span.Length >= RecordBatchHeader.HeaderSize
            ? (CompressionType)(BinaryPrimitives.ReadInt16BigEndian(span[RecordBatchHeader.AttributesOffset..]) & RecordBatchHeader.CompressionMask)
            : CompressionType.None;
        bool recompress = topicCodec is { } target && target != sourceCodec;

        PooledBufferWriter? decompressed = recompress && sourceCodec != CompressionType.None ? new PooledBufferWriter(64 * 1024) : null;
        try
        {
            BatchValidationResult validation = BatchValidator.ValidateProduceBatch(records, policy, decompressed);
            if (!validation.IsValid)
            {
                return LogValidationResult.Fail(validation.Error, validation.Reason);
            }

            bool logAppendTime = config.MessageTimestampType == MessageTimestampType.LogAppendTime;
            long maxTimestamp = logAppendTime ? now : validation.MaxTimestamp;
            if (!recompress)
            {
                Span<byte> batch = MemoryMarshal.AsMemory(records).Span;
                RecordBatchHeader.TryRead(batch, out RecordBatchHeader header);
                TimestampType timestampType = logAppendTime ? TimestampType.LogAppendTime : TimestampType.CreateTime;
                if (header.MaxTimestamp != maxTimestamp || header.TimestampType != timestampType)
                {
                    RecordBatch.SetMaxTimestamp(batch, timestampType, maxTimestamp);
                }

                return new LogValidationResult(ErrorCode.None, null, MemoryMarshal.AsMemory(records), null, logAppendTime ? now : -1, validation.RecordCount);
            }

            return Recompress(records, decompressed, topicCodec!.Value, logAppendTime, maxTimestamp, config, now, validation.RecordCount);
        }
        catch (CompressionLibraryMissingException e)
        {
            return LogValidationResult.Fail(ErrorCode.UnsupportedCompressionType, e.Message);
        }
        finally
        {
            decompressed?.Dispose();
        }
    }

    /// <summary>The record checks a topic's settings call for.</summary>
    public static RecordValidationPolicy PolicyFor(EffectiveTopicConfig config, long now) => new()
    {
        RequireKeys = (config.CleanupPolicy & CleanupPolicy.Compact) != 0,
        TimestampType = config.MessageTimestampType == MessageTimestampType.LogAppendTime ? TimestampType.LogAppendTime : TimestampType.CreateTime,
        Now = now,
        // The deprecated message.timestamp.difference.max.ms applies where the newer bound is left at its default.
        TimestampBeforeMaxMs = config.MessageTimestampBeforeMaxMs != long.MaxValue ? config.MessageTimestampBeforeMaxMs : config.MessageTimestampDifferenceMaxMs,
        TimestampAfterMaxMs = config.MessageTimestampAfterMaxMs != long.MaxValue ? config.MessageTimestampAfterMaxMs : config.MessageTimestampDifferenceMaxMs,
        MaxDecompressedBytes = MaxDecompressedBytes(config),
    };

    /// <summary>
    /// The hard bound on one batch's decompressed records: 64 MiB, or the topic's max.message.bytes when that is
    /// larger (an uncompressed batch that size is legal, so its compressed form must be too).
    /// </summary>
    public static long MaxDecompressedBytes(EffectiveTopicConfig config) =>
        Math.Max(RecordValidationPolicy.DefaultMaxDecompressedBytes, config.MaxMessageBytes);

    /// <summary>The codec a topic stores, or null for <c>producer</c> (whatever the batch has).</summary>
    public static CompressionType? TargetCodec(BrokerCompressionType compressionType) => compressionType switch
    {
        BrokerCompressionType.Producer => null,
        BrokerCompressionType.Uncompressed => CompressionType.None,
        BrokerCompressionType.Gzip => CompressionType.Gzip,
        BrokerCompressionType.Snappy => CompressionType.Snappy,
        BrokerCompressionType.Lz4 => CompressionType.Lz4,
        BrokerCompressionType.Zstd => CompressionType.Zstd,
        _ => throw new ArgumentOutOfRangeException(nameof(compressionType), compressionType, null),
    };

    private static LogValidationResult Recompress(
        ReadOnlyMemory<byte> records,
        PooledBufferWriter? decompressed,
        CompressionType target,
        bool logAppendTime,
        long maxTimestamp,
        EffectiveTopicConfig config,
        long now,
        int recordCount)
    {
        ReadOnlySpan<byte> original = records.Span;
        RecordBatchHeader.TryRead(original, out RecordBatchHeader header);
        ReadOnlySpan<byte> payload = decompressed is null
            ? original[RecordBatchHeader.RecordsOffset..(int)header.TotalSize]
            : decompressed.WrittenSpan;

        Span<byte> template = stackalloc byte[RecordBatchHeader.HeaderSize];
        original[..RecordBatchHeader.HeaderSize].CopyTo(template);
        short attributes = (short)(header.Attributes & ~RecordBatchHeader.TimestampTypeMask);
        if (logAppendTime)
        {
            attributes |= RecordBatchHeader.TimestampTypeMask;
        }

        BinaryPrimitives.WriteInt16BigEndian(template[RecordBatchHeader.AttributesOffset..], attributes);
        BinaryPrimitives.WriteInt64BigEndian(template[RecordBatchHeader.MaxTimestampOffset..], maxTimestamp);

        var output = new PooledBufferWriter(Math.Max(payload.Length / 2, 1024) + RecordBatchHeader.HeaderSize);
        try
        {
            int size = RecordBatchCompression.WriteBatch(template, payload, target, output);
            if (size > config.MaxMessageBytes)
            {
                output.Dispose();
                return LogValidationResult.Fail(
                    ErrorCode.MessageTooLarge,
                    $"The batch recompressed with {target} takes {size} bytes, over max.message.bytes {config.MaxMessageBytes}.");
            }

            return new LogValidationResult(ErrorCode.None, null, output.WrittenMemory, output, logAppendTime ? now : -1, recordCount);
        }
        catch
        {
            output.Dispose();
            throw;
        }
    }
}

/// <summary>
/// What <see cref="LogValidator.Validate"/> decided: an error with its reason, or the bytes to append (the request's
/// own buffer, edited in place, or a recompressed batch in a pooled buffer that <see cref="Dispose"/> returns once the
/// append has copied it), the log-append time stamped (-1 for CreateTime topics) and the record count.
/// </summary>
internal readonly struct LogValidationResult : IDisposable
{
    private readonly PooledBufferWriter? _owner;

    public LogValidationResult(ErrorCode error, string? reason, Memory<byte> records, PooledBufferWriter? owner, long logAppendTime, int recordCount)
    {
        Error = error;
        Reason = reason;
        Records = records;
        _owner = owner;
        LogAppendTime = logAppendTime;
        RecordCount = recordCount;
    }

    public ErrorCode Error { get; }

    public string? Reason { get; }

    public Memory<byte> Records { get; }

    public long LogAppendTime { get; }

    public int RecordCount { get; }

    /// <summary>True when the records were rebuilt with the topic's codec rather than kept as produced.</summary>
    public bool WasRecompressed => _owner is not null;

    public static LogValidationResult Fail(ErrorCode error, string? reason) => new(error, reason, Memory<byte>.Empty, null, -1, 0);

    public void Dispose() => _owner?.Dispose();
}
