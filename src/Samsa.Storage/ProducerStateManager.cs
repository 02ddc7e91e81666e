using System.Buffers.Binary;
using Samsa.Protocol;
using Samsa.Protocol.Records;

namespace Samsa.Storage;

/// <summary>Who wrote the records being appended; it decides which producer-state checks apply (as Kafka's AppendOrigin).</summary>
public enum AppendOrigin
{
    /// <summary>A client's Produce: epochs, sequences and duplicates are checked; control batches are refused.</summary>
    Client,

    /// <summary>The broker's own coordinators (offsets, transaction state, markers): epochs checked, sequences not.</summary>
    Coordinator,

    /// <summary>A follower copying its leader's log: no checks, the state is only updated.</summary>
    Replication,
}

/// <summary>A transaction a marker ended in this partition: its producer, its first offset and the marker's offset.</summary>
public readonly record struct CompletedTxn(long ProducerId, long FirstOffset, long LastOffset, bool IsAborted);

/// <summary>
/// The idempotent and transactional producers of one partition (Kafka's ProducerStateManager): per producer id a
/// <see cref="ProducerStateEntry"/>, and the transactions open in the partition ordered by first offset, the lowest of
/// which is the first unstable offset (the last stable offset is the lower of it and the high watermark).
/// <para>
/// An append is checked before it is written (<see cref="Check"/>): an older epoch is INVALID_PRODUCER_EPOCH; a batch a
/// producer already wrote (same epoch and sequence range as one of its last five) is a duplicate, answered with its
/// original offsets and not written again; a sequence that does not follow the last one is OUT_OF_ORDER_SEQUENCE_NUMBER
/// (a new epoch must start at 0); a producer this partition does not know may start at any sequence (its state may have
/// expired or been removed with old segments, as in Kafka 2.5+); a non-transactional write while its transaction is
/// open is INVALID_TXN_STATE; a marker from an older coordinator epoch is TRANSACTION_COORDINATOR_FENCED. Once the
/// batch is written, <see cref="Update"/> records it.
/// </para>
/// <para>
/// Snapshots: <c>&lt;offset:D20&gt;.snapshot</c> in the partition directory holds the state as of that offset (taken
/// when a segment rolls and when the log closes), so opening replays only the batches after the newest one. Format,
/// big-endian: version int16 (1), CRC-32C uint32 of everything after it, producer count int32, then per producer:
/// producer id int64, epoch int16, coordinator epoch int32, last timestamp int64, open transaction's first offset int64
/// (-1 none), last offset int64, batch count int8, then per batch: first sequence int32, last sequence int32, first
/// offset int64, last offset int64, timestamp int64. Written to a temporary file and renamed; a damaged snapshot is
/// deleted and an older one (or the whole log) is replayed instead.
/// </para>
/// Not thread-safe: its log calls it under the log's lock. <see cref="FirstUnstableOffset"/> is published for readers.
/// </summary>
public sealed class ProducerStateManager
{
    public const string SnapshotFileSuffix = ".snapshot";

    private const short SnapshotVersion = 1;
    private const int SnapshotHeaderSize = 2 + 4 + 4;
    private const int ProducerFixedSize = 8 + 2 + 4 + 8 + 8 + 8 + 1;
    private const int BatchSize = 4 + 4 + 8 + 8 + 8;

    private readonly Dictionary<long, ProducerStateEntry> _producers = [];

    // Open transactions by first offset, ascending: appends only ever open them at the log end.
    private readonly List<(long FirstOffset, long ProducerId)> _ongoing = [];
    private Dictionary<long, ProducerStateEntry>? _staged;
    private long _firstUnstableOffset = long.MaxValue;

    public ProducerStateManager(string directory)
    {
        Directory = directory;
    }

    public string Directory { get; }

    /// <summary>The first offset of the oldest open transaction; <see cref="long.MaxValue"/> when none is open. Lock-free.</summary>
    public long FirstUnstableOffset => Volatile.Read(ref _firstUnstableOffset);

    public int ProducerCount => _producers.Count;

    public bool TryGetProducer(long producerId, out ProducerStateEntry entry) => _producers.TryGetValue(producerId, out entry!);

    /// <summary>
    /// Checks one batch of an append before anything is written. <paramref name="multiBatch"/> says the append holds
    /// more than one batch: then the batches of the append checked before this one count as written, and duplicates
    /// are not looked for (Kafka only dedupes single-batch appends). Returns the error, or NONE with
    /// <paramref name="duplicate"/> set when the batch was already written.
    /// </summary>
    public ErrorCode Check(in RecordBatchHeader header, ReadOnlySpan<byte> batch, AppendOrigin origin, bool multiBatch,
        out ProducerBatch? duplicate)
    {
        duplicate = null;
        if (!header.HasProducerId || origin == AppendOrigin.Replication)
        {
            return ErrorCode.None;
        }

        ProducerStateEntry? entry = Current(header.ProducerId);
        if (header.IsControl)
        {
            if (origin == AppendOrigin.Client)
            {
                return ErrorCode.InvalidRecord;
            }

            if (!EndTransactionMarker.TryRead(batch, out _, out int coordinatorEpoch))
            {
                return ErrorCode.CorruptMessage;
            }

            if (entry is not null)
            {
                if (header.ProducerEpoch < entry.ProducerEpoch)
                {
                    return ErrorCode.InvalidProducerEpoch;
                }

                if (coordinatorEpoch < entry.CoordinatorEpoch)
                {
                    return ErrorCode.TransactionCoordinatorFenced;
                }
            }
        }
        else if (entry is not null)
        {
            if (header.ProducerEpoch < entry.ProducerEpoch)
            {
                return ErrorCode.InvalidProducerEpoch;
            }

            if (origin == AppendOrigin.Client && header.BaseSequence >= 0)
            {
                int lastSequence = IncrementSequence(header.BaseSequence, header.LastOffsetDelta);
                if (!multiBatch && entry.TryFindDuplicate(header.ProducerEpoch, header.BaseSequence, lastSequence, out ProducerBatch original))
                {
                    duplicate = original;
                    return ErrorCode.None;
                }

                if (header.ProducerEpoch != entry.ProducerEpoch)
                {
                    if (header.BaseSequence != 0 && entry.ProducerEpoch != RecordBatchHeader.NoProducerEpoch)
                    {
                        return ErrorCode.OutOfOrderSequenceNumber;
                    }
                }
                else if (!InSequence(entry.LastSequence, header.BaseSequence))
                {
                    return ErrorCode.OutOfOrderSequenceNumber;
                }
            }

            if (!header.IsTransactional && entry.CurrentTxnFirstOffset >= 0 && header.ProducerEpoch == entry.ProducerEpoch)
            {
                return ErrorCode.InvalidTxnState;
            }
        }

        if (multiBatch)
        {
            // Later batches of this append are checked against the state this one leaves.
            _staged ??= [];
            ProducerStateEntry staged = entry is null ? new ProducerStateEntry(header.ProducerId, header.ProducerEpoch) : entry.Clone();
            Apply(staged, header, batch, header.BaseOffset, header.LastOffset, trackTxn: false);
            _staged[header.ProducerId] = staged;
        }

        return ErrorCode.None;
    }

    /// <summary>Forgets what <see cref="Check"/> staged for a multi-batch append (call once it is written or refused).</summary>
    public void EndCheck() => _staged?.Clear();

    /// <summary>
    /// Records a batch written at <paramref name="firstOffset"/>..<paramref name="lastOffset"/>. Returns the
    /// transaction it ended when it is a marker. <see cref="PublishFirstUnstableOffset"/> makes the change visible.
    /// </summary>
    public CompletedTxn? Update(in RecordBatchHeader header, ReadOnlySpan<byte> batch, long firstOffset, long lastOffset)
    {
        if (!header.HasProducerId)
        {
            return null;
        }

        if (!_producers.TryGetValue(header.ProducerId, out ProducerStateEntry? entry))
        {
            entry = new ProducerStateEntry(header.ProducerId, header.ProducerEpoch);
            _producers.Add(header.ProducerId, entry);
        }

        return Apply(entry, header, batch, firstOffset, lastOffset, trackTxn: true);
    }

    /// <summary>
    /// The last stable offset right after <paramref name="completed"/> ended (stored with an aborted transaction in the
    /// index): the first offset of the oldest transaction still open, or the marker's next offset.
    /// </summary>
    public long LastStableOffsetAfter(in CompletedTxn completed) =>
        _ongoing.Count > 0 ? Math.Min(_ongoing[0].FirstOffset, completed.LastOffset + 1) : completed.LastOffset + 1;

    /// <summary>Publishes the first unstable offset for lock-free readers (after the transaction index is written).</summary>
    public void PublishFirstUnstableOffset() =>
        Volatile.Write(ref _firstUnstableOffset, _ongoing.Count > 0 ? _ongoing[0].FirstOffset : long.MaxValue);

    /// <summary>
    /// Removes the producers idle for <paramref name="expirationMs"/> (by their last timestamp) with no open
    /// transaction (producer.id.expiration.ms). Returns how many went.
    /// </summary>
    public int RemoveExpiredProducers(long nowMs, long expirationMs)
    {
        List<long>? expired = null;
        foreach (var (producerId, entry) in _producers)
        {
            if (entry.CurrentTxnFirstOffset < 0 && nowMs - entry.LastTimestamp >= expirationMs)
            {
                (expired ??= []).Add(producerId);
            }
        }

        foreach (long producerId in expired ?? [])
        {
            _producers.Remove(producerId);
        }

        return expired?.Count ?? 0;
    }

    /// <summary>
    /// The log start offset moved to <paramref name="logStartOffset"/>: producers whose last record is below it, with no
    /// open transaction, are forgotten (their batches are gone), as Kafka does.
    /// </summary>
    public void TruncateHead(long logStartOffset)
    {
        List<long>? removed = null;
        foreach (var (producerId, entry) in _producers)
        {
            if (entry.CurrentTxnFirstOffset < 0 && entry.LastOffset < logStartOffset)
            {
                (removed ??= []).Add(producerId);
            }
        }

        foreach (long producerId in removed ?? [])
        {
            _producers.Remove(producerId);
        }
    }

    /// <summary>Forgets everything (before replaying the log from its start).</summary>
    public void Clear()
    {
        _producers.Clear();
        _ongoing.Clear();
        PublishFirstUnstableOffset();
    }

    // ---------------------------------------------------------------- Snapshots

    /// <summary>The offsets of the snapshot files in the directory, ascending.</summary>
    public List<long> SnapshotOffsets()
    {
        var offsets = new List<long>();
        foreach (string path in System.IO.Directory.EnumerateFiles(Directory, "*" + SnapshotFileSuffix))
        {
            if (LogSegment.TryParseFileName(Path.GetFileName(path), SnapshotFileSuffix, out long offset))
            {
                offsets.Add(offset);
            }
        }

        offsets.Sort();
        return offsets;
    }

    /// <summary>Writes the state as of <paramref name="offset"/> (the log end) to its snapshot file; fsynced when <paramref name="sync"/>.</summary>
    public void TakeSnapshot(long offset, bool sync)
    {
        int size = SnapshotHeaderSize;
        foreach (ProducerStateEntry entry in _producers.Values)
        {
            size += ProducerFixedSize + (entry.BatchCount * BatchSize);
        }

        byte[] buffer = new byte[size];
        Span<byte> span = buffer;
        BinaryPrimitives.WriteInt16BigEndian(span, SnapshotVersion);
        BinaryPrimitives.WriteInt32BigEndian(span[6..], _producers.Count);
        int p = SnapshotHeaderSize;
        foreach (ProducerStateEntry entry in _producers.Values)
        {
            BinaryPrimitives.WriteInt64BigEndian(span[p..], entry.ProducerId);
            BinaryPrimitives.WriteInt16BigEndian(span[(p + 8)..], entry.ProducerEpoch);
            BinaryPrimitives.WriteInt32BigEndian(span[(p + 10)..], entry.CoordinatorEpoch);
            BinaryPrimitives.WriteInt64BigEndian(span[(p + 14)..], entry.LastTimestamp);
            BinaryPrimitives.WriteInt64BigEndian(span[(p + 22)..], entry.CurrentTxnFirstOffset);
            BinaryPrimitives.WriteInt64BigEndian(span[(p + 30)..], entry.LastOffset);
            span[p + 38] = (byte)entry.BatchCount;
            p += ProducerFixedSize;
            for (int i = 0; i < entry.BatchCount; i++)
            {
                ProducerBatch batch = entry.Batch(i);
                BinaryPrimitives.WriteInt32BigEndian(span[p..], batch.FirstSequence);
                BinaryPrimitives.WriteInt32BigEndian(span[(p + 4)..], batch.LastSequence);
                BinaryPrimitives.WriteInt64BigEndian(span[(p + 8)..], batch.FirstOffset);
                BinaryPrimitives.WriteInt64BigEndian(span[(p + 16)..], batch.LastOffset);
                BinaryPrimitives.WriteInt64BigEndian(span[(p + 24)..], batch.Timestamp);
                p += BatchSize;
            }
        }

        BinaryPrimitives.WriteUInt32BigEndian(span[2..], Crc32C.Compute(span[6..]));
        string path = SnapshotPath(offset);
        string temporary = path + ".tmp";
        using (var file = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None, bufferSize: 0))
        {
            file.Write(buffer);
            if (sync)
            {
                file.Flush(flushToDisk: true);
            }
        }

        File.Move(temporary, path, overwrite: true);
    }

    /// <summary>
    /// Replaces the state with the newest readable snapshot at or below <paramref name="maxOffset"/>, deleting any
    /// damaged one on the way (snapshots above it are left alone). Returns its offset, or -1 (state cleared) when there
    /// is none.
    /// </summary>
    public long LoadLatestSnapshot(long maxOffset)
    {
        List<long> offsets = SnapshotOffsets();
        for (int i = offsets.Count - 1; i >= 0; i--)
        {
            if (offsets[i] > maxOffset)
            {
                continue;
            }

            string path = SnapshotPath(offsets[i]);
            if (TryReadSnapshot(path))
            {
                return offsets[i];
            }

            File.Delete(path);
        }

        Clear();
        return -1;
    }

    /// <summary>Deletes the snapshots below <paramref name="offset"/> (their segments are gone).</summary>
    public void DeleteSnapshotsBelow(long offset)
    {
        foreach (long snapshot in SnapshotOffsets())
        {
            if (snapshot < offset)
            {
                File.Delete(SnapshotPath(snapshot));
            }
        }
    }

    /// <summary>Deletes the snapshots above <paramref name="offset"/> (the log was truncated below them).</summary>
    public void DeleteSnapshotsAbove(long offset)
    {
        foreach (long snapshot in SnapshotOffsets())
        {
            if (snapshot > offset)
            {
                File.Delete(SnapshotPath(snapshot));
            }
        }
    }

    private string SnapshotPath(long offset) => Path.Combine(Directory, LogSegment.FileName(offset, SnapshotFileSuffix));

    private bool TryReadSnapshot(string path)
    {
        Dictionary<long, ProducerStateEntry>? producers;
        try
        {
            producers = ReadSnapshotFile(path);
        }
        catch (IOException)
        {
            return false;
        }

        if (producers is null)
        {
            return false;
        }

        _producers.Clear();
        _ongoing.Clear();
        foreach (var (producerId, entry) in producers)
        {
            _producers.Add(producerId, entry);
            if (entry.CurrentTxnFirstOffset >= 0)
            {
                _ongoing.Add((entry.CurrentTxnFirstOffset, producerId));
            }
        }

        _ongoing.Sort();
        PublishFirstUnstableOffset();
        return true;
    }

    /// <summary>The producers stored in a snapshot file, or null when it is damaged (bad version, CRC or lengths).</summary>
    public static Dictionary<long, ProducerStateEntry>? ReadSnapshotFile(string path)
    {
        ReadOnlySpan<byte> span = File.ReadAllBytes(path);
        if (span.Length < SnapshotHeaderSize
            || BinaryPrimitives.ReadInt16BigEndian(span) != SnapshotVersion
            || BinaryPrimitives.ReadUInt32BigEndian(span[2..]) != Crc32C.Compute(span[6..]))
        {
            return null;
        }

        int count = BinaryPrimitives.ReadInt32BigEndian(span[6..]);
        var producers = new Dictionary<long, ProducerStateEntry>(Math.Max(0, Math.Min(count, span.Length / ProducerFixedSize)));
        int p = SnapshotHeaderSize;
        for (int n = 0; n < count; n++)
        {
            if (span.Length - p < ProducerFixedSize)
            {
                return null;
            }

            var entry = new ProducerStateEntry(BinaryPrimitives.ReadInt64BigEndian(span[p..]), BinaryPrimitives.ReadInt16BigEndian(span[(p + 8)..]))
            {
                CoordinatorEpoch = BinaryPrimitives.ReadInt32BigEndian(span[(p + 10)..]),
                LastTimestamp = BinaryPrimitives.ReadInt64BigEndian(span[(p + 14)..]),
                CurrentTxnFirstOffset = BinaryPrimitives.ReadInt64BigEndian(span[(p + 22)..]),
                LastOffset = BinaryPrimitives.ReadInt64BigEndian(span[(p + 30)..]),
            };
            int batches = span[p + 38];
            p += ProducerFixedSize;
            if (batches > ProducerStateEntry.BatchesToRetain || span.Length - p < batches * BatchSize)
            {
                return null;
            }

            for (int i = 0; i < batches; i++)
            {
                entry.AddBatch(new ProducerBatch(
                    BinaryPrimitives.ReadInt32BigEndian(span[p..]),
                    BinaryPrimitives.ReadInt32BigEndian(span[(p + 4)..]),
                    BinaryPrimitives.ReadInt64BigEndian(span[(p + 8)..]),
                    BinaryPrimitives.ReadInt64BigEndian(span[(p + 16)..]),
                    BinaryPrimitives.ReadInt64BigEndian(span[(p + 24)..])));
                p += BatchSize;
            }

            producers[entry.ProducerId] = entry;
        }

        return producers;
    }

    // ---------------------------------------------------------------- Helpers

    private ProducerStateEntry? Current(long producerId) =>
        _staged is not null && _staged.TryGetValue(producerId, out ProducerStateEntry? staged) ? staged
        : _producers.TryGetValue(producerId, out ProducerStateEntry? entry) ? entry
        : null;

    private CompletedTxn? Apply(ProducerStateEntry entry, in RecordBatchHeader header, ReadOnlySpan<byte> batch, long firstOffset,
        long lastOffset, bool trackTxn)
    {
        entry.UpdateEpoch(header.ProducerEpoch);
        entry.LastOffset = lastOffset;
        entry.LastTimestamp = Math.Max(entry.LastTimestamp, header.MaxTimestamp);
        if (header.IsControl)
        {
            if (!EndTransactionMarker.TryRead(batch, out ControlRecordType type, out int coordinatorEpoch))
            {
                return null;
            }

            entry.CoordinatorEpoch = coordinatorEpoch;
            long txnFirstOffset = entry.CurrentTxnFirstOffset >= 0 ? entry.CurrentTxnFirstOffset : firstOffset;
            if (trackTxn && entry.CurrentTxnFirstOffset >= 0)
            {
                RemoveOngoing(entry.CurrentTxnFirstOffset);
            }

            entry.CurrentTxnFirstOffset = -1;
            return new CompletedTxn(entry.ProducerId, txnFirstOffset, lastOffset, type == ControlRecordType.Abort);
        }

        if (header.BaseSequence >= 0)
        {
            entry.AddBatch(new ProducerBatch(
                header.BaseSequence, IncrementSequence(header.BaseSequence, header.LastOffsetDelta), firstOffset, lastOffset, header.MaxTimestamp));
        }

        if (header.IsTransactional && entry.CurrentTxnFirstOffset < 0)
        {
            entry.CurrentTxnFirstOffset = firstOffset;
            if (trackTxn)
            {
                _ongoing.Add((firstOffset, entry.ProducerId));
            }
        }

        return null;
    }

    private void RemoveOngoing(long firstOffset)
    {
        for (int i = 0; i < _ongoing.Count; i++)
        {
            if (_ongoing[i].FirstOffset == firstOffset)
            {
                _ongoing.RemoveAt(i);
                return;
            }
        }
    }

    /// <summary>The sequence <paramref name="increment"/> after <paramref name="sequence"/>; sequences wrap from int.MaxValue to 0.</summary>
    public static int IncrementSequence(int sequence, int increment) =>
        (int)((sequence + (long)increment) % (int.MaxValue + 1L));

    private static bool InSequence(int lastSequence, int nextSequence) =>
        nextSequence == lastSequence + 1L || (nextSequence == 0 && lastSequence == int.MaxValue);
}
