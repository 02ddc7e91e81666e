using System.Buffers.Binary;
using Microsoft.Extensions.Logging;
using Samsa.Protocol.Records;

namespace Samsa.Storage.Tests;

/// <summary>A fresh directory per test, removed afterwards.</summary>
internal sealed class TempDir : IDisposable
{
    public TempDir()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "samsa-storage-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public string Combine(params string[] parts) => System.IO.Path.Combine([Path, .. parts]);

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (DirectoryNotFoundException)
        {
        }
    }
}

/// <summary>One record read back from the log.</summary>
internal readonly record struct StoredRecord(long Offset, int PartitionLeaderEpoch, string Value);

internal static class Batches
{
    /// <summary>An uncompressed batch whose record values are the given labels.</summary>
    public static byte[] Make(params string[] values)
    {
        using var builder = new RecordBatchBuilder();
        foreach (string value in values)
        {
            builder.Append(1_700_000_000_000, null, System.Text.Encoding.UTF8.GetBytes(value));
        }

        return builder.ToArray();
    }

    /// <summary>A batch of <paramref name="count"/> records labelled prefix-0, prefix-1, ... with optional padding.</summary>
    public static byte[] Numbered(string prefix, int count, int padding = 0)
    {
        var values = new string[count];
        for (int i = 0; i < count; i++)
        {
            values[i] = prefix + "-" + i + new string('.', padding);
        }

        return Make(values);
    }

    /// <summary>Parses whole batches, checking framing and CRC, into records with absolute offsets.</summary>
    public static List<StoredRecord> Parse(ReadOnlySpan<byte> bytes)
    {
        var records = new List<StoredRecord>();
        int position = 0;
        while (position < bytes.Length)
        {
            ReadOnlySpan<byte> batch = bytes[position..];
            Assert.True(RecordBatchHeader.TryRead(batch, out RecordBatchHeader header), "partial batch header");
            Assert.True(header.TotalSize <= batch.Length, "partial batch");
            batch = batch[..(int)header.TotalSize];
            Assert.True(RecordBatch.IsCrcValid(batch), "bad CRC");
            foreach (Protocol.Records.Record record in RecordReader.FromBatch(batch))
            {
                records.Add(new StoredRecord(
                    header.BaseOffset + record.OffsetDelta,
                    header.PartitionLeaderEpoch,
                    System.Text.Encoding.UTF8.GetString(record.Value)));
            }

            position += (int)header.TotalSize;
        }

        return records;
    }

    public static List<StoredRecord> Parse(LogReadResult result)
    {
        var buffer = new byte[result.Length];
        Assert.Equal(result.Length, result.CopyTo(buffer));
        return Parse(buffer);
    }

    /// <summary>Reads the whole log below <paramref name="limit"/> by following fetch results.</summary>
    public static List<StoredRecord> ReadAll(PartitionLog log, long from = 0, long limit = long.MaxValue, int maxBytes = 1 << 20)
    {
        var all = new List<StoredRecord>();
        long next = from;
        while (true)
        {
            LogReadResult result = log.Read(next, maxBytes, minOneBatch: true, Math.Min(limit, log.LogEndOffset));
            Assert.Equal(Samsa.Protocol.ErrorCode.None, result.Error);
            if (result.Length == 0)
            {
                return all;
            }

            List<StoredRecord> records = Parse(result);
            foreach (StoredRecord record in records)
            {
                if (record.Offset >= next)
                {
                    all.Add(record);
                }
            }

            next = LastOffsetOfLastBatch(result) + 1;
        }
    }

    public static long LastOffsetOfLastBatch(LogReadResult result)
    {
        var buffer = new byte[result.Length];
        result.CopyTo(buffer);
        int position = 0;
        long last = -1;
        while (position < buffer.Length)
        {
            RecordBatchHeader.TryRead(buffer.AsSpan(position), out RecordBatchHeader header);
            last = header.LastOffset;
            position += (int)header.TotalSize;
        }

        return last;
    }

    public static RecordBatchHeader FirstHeader(LogReadResult result)
    {
        var buffer = new byte[RecordBatchHeader.HeaderSize];
        result.CopyTo(buffer);
        RecordBatchHeader.TryRead(buffer, out RecordBatchHeader header);
        return header;
    }

    public static int BatchCount(LogReadResult result)
    {
        var buffer = new byte[result.Length];
        result.CopyTo(buffer);
        int count = 0;
        int position = 0;
        while (position < buffer.Length)
        {
            position += RecordBatchHeader.LogOverhead + BinaryPrimitives.ReadInt32BigEndian(buffer.AsSpan(position + 8));
            count++;
        }

        return count;
    }
}

/// <summary>Collects formatted log lines.</summary>
internal sealed class ListLogger : ILogger
{
    private readonly List<(LogLevel Level, string Message)> _lines = [];

    public IReadOnlyList<(LogLevel Level, string Message)> Lines
    {
        get
        {
            lock (_lines)
            {
                return [.. _lines];
            }
        }
    }

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        lock (_lines)
        {
            _lines.Add((logLevel, formatter(state, exception)));
        }
    }
}

/// <summary>A clock that moves only when told to.</summary>
internal sealed class ManualTimeProvider : TimeProvider
{
    private long _ticks = 1_000_000;

    public override long TimestampFrequency => TimeSpan.TicksPerSecond;

    public override long GetTimestamp() => Interlocked.Read(ref _ticks);

    public override DateTimeOffset GetUtcNow() => new DateTimeOffset(2024, 1, 1, 0, 0, 0, TimeSpan.Zero).AddTicks(GetTimestamp());

    public void Advance(TimeSpan by) => Interlocked.Add(ref _ticks, by.Ticks);
}
