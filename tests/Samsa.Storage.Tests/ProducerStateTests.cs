using Samsa.Protocol;
using Samsa.Protocol.Records;

namespace Samsa.Storage.Tests;

/// <summary>
/// Idempotent and transactional producers in a partition log: sequence and epoch checks, duplicates, the last stable
/// offset, the aborted-transaction index, snapshots and the rebuild from the log.
/// </summary>
public sealed class ProducerStateTests : IDisposable
{
    private static readonly TopicPartition Tp = new("payments", 0);
    private readonly TempDir _dir = new();
    private readonly ManualTimeProvider _time = new();

    public void Dispose() => _dir.Dispose();

    private string LogDir => _dir.Combine("payments-0");

    private static readonly LogConfig Small = LogConfig.Default with { SegmentBytes = 1024, IndexIntervalBytes = 64 };

    private PartitionLog Open(LogConfig? config = null, bool clean = true, long recoveryPoint = 0) =>
        PartitionLog.Open(LogDir, Tp, config ?? LogConfig.Default, hadCleanShutdown: clean, logger: null, timeProvider: _time,
            recoveryPoint: recoveryPoint);

    /// <summary>A batch of <paramref name="count"/> records from producer <paramref name="producerId"/>.</summary>
    private byte[] Batch(long producerId, short epoch, int sequence, int count = 2, bool transactional = false, int padding = 0)
    {
        using var builder = new RecordBatchBuilder
        {
            ProducerId = producerId,
            ProducerEpoch = epoch,
            BaseSequence = sequence,
            IsTransactional = transactional,
        };
        for (int i = 0; i < count; i++)
        {
            builder.Append(_time.GetUtcNow().ToUnixTimeMilliseconds(), null, System.Text.Encoding.UTF8.GetBytes($"p{producerId}-s{sequence + i}" + new string('.', padding)));
        }

        return builder.ToArray();
    }

    private byte[] Marker(long producerId, short epoch, bool commit, int coordinatorEpoch = 0) =>
        EndTransactionMarker.BuildBatch(producerId, epoch, coordinatorEpoch, commit ? ControlRecordType.Commit : ControlRecordType.Abort,
            _time.GetUtcNow().ToUnixTimeMilliseconds());

    private static LogAppendResult Append(PartitionLog log, byte[] batch, AppendOrigin origin = AppendOrigin.Client)
    {
        LogAppendResult result = log.Append(batch, leaderEpoch: 0, origin);
        log.UpdateHighWatermark(log.LogEndOffset);
        return result;
    }

    private static List<AbortedTxn> Aborted(PartitionLog log, long from = 0)
    {
        var aborted = new List<AbortedTxn>();
        log.CollectAbortedTransactions(from, log.LastStableOffset, aborted);
        return aborted;
    }

    [Fact]
    public void A_retried_batch_gets_its_original_offsets_and_is_not_written_again()
    {
        using PartitionLog log = Open();
        Append(log, Batch(7, 0, 0));
        LogAppendResult second = Append(log, Batch(7, 0, 2, count: 3));
        long end = log.LogEndOffset;

        LogAppendResult retry = Append(log, Batch(7, 0, 2, count: 3));

        Assert.True(retry.IsDuplicate);
        Assert.Equal(ErrorCode.None, retry.Error);
        Assert.Equal((second.FirstOffset, second.LastOffset), (retry.FirstOffset, retry.LastOffset));
        Assert.Equal(end, log.LogEndOffset);
        Assert.Equal(5, Batches.ReadAll(log, 0).Count);
    }

    [Fact]
    public void Only_the_last_five_batches_are_recognised_as_duplicates()
    {
        using PartitionLog log = Open();
        for (int i = 0; i < 6; i++)
        {
            Append(log, Batch(7, 0, i * 2));
        }

        Assert.True(Append(log, Batch(7, 0, 2)).IsDuplicate);
        LogAppendResult tooOld = Append(log, Batch(7, 0, 0));
        Assert.False(tooOld.IsDuplicate);
        Assert.Equal(ErrorCode.OutOfOrderSequenceNumber, tooOld.Error);
    }

    [Fact]
    public void A_sequence_gap_is_out_of_order_and_writes_nothing()
    {
        using PartitionLog log = Open();
        Append(log, Batch(7, 0, 0));
        long end = log.LogEndOffset;

        Assert.Equal(ErrorCode.OutOfOrderSequenceNumber, Append(log, Batch(7, 0, 5)).Error);
        Assert.Equal(end, log.LogEndOffset);
        Assert.Equal(ErrorCode.None, Append(log, Batch(7, 0, 2)).Error);
    }

    [Fact]
    public void Epochs_are_fenced_and_a_new_epoch_starts_at_sequence_zero()
    {
        using PartitionLog log = Open();
        Append(log, Batch(7, 3, 0));

        Assert.Equal(ErrorCode.InvalidProducerEpoch, Append(log, Batch(7, 2, 2)).Error);
        Assert.Equal(ErrorCode.OutOfOrderSequenceNumber, Append(log, Batch(7, 4, 5)).Error);
        Assert.Equal(ErrorCode.None, Append(log, Batch(7, 4, 0)).Error);
        Assert.Equal(ErrorCode.InvalidProducerEpoch, Append(log, Batch(7, 3, 2)).Error);
    }

    [Fact]
    public void An_unknown_producer_may_start_at_any_sequence_and_sequences_wrap()
    {
        using PartitionLog log = Open();
        Assert.Equal(ErrorCode.None, Append(log, Batch(9, 0, int.MaxValue - 1, count: 2)).Error);
        Assert.Equal(ErrorCode.None, Append(log, Batch(9, 0, 0, count: 1)).Error);
        Assert.Equal(ErrorCode.OutOfOrderSequenceNumber, Append(log, Batch(9, 0, 2)).Error);
    }

    [Fact]
    public void Batches_without_a_producer_id_are_not_tracked()
    {
        using PartitionLog log = Open();
        log.Append(Batches.Make("a", "b"), 0);
        Assert.Equal(0, log.ProducerState.ProducerCount);
    }

    [Fact]
    public void An_open_transaction_holds_the_last_stable_offset_until_its_marker()
    {
        using PartitionLog log = Open();
        Append(log, Batches.Make("plain"));
        Append(log, Batch(7, 0, 0, transactional: true));
        Append(log, Batch(8, 0, 0, transactional: true));
        Append(log, Batches.Make("after"));
        Assert.Equal(1, log.LastStableOffset);
        Assert.Equal(6, log.HighWatermark);

        Assert.Equal(ErrorCode.InvalidTxnState, Append(log, Batch(7, 0, 2)).Error);
        Assert.Equal(ErrorCode.InvalidRecord, Append(log, Marker(7, 0, commit: true)).Error);

        Append(log, Marker(7, 0, commit: true), AppendOrigin.Coordinator);
        Assert.Equal(3, log.LastStableOffset);
        Append(log, Marker(8, 0, commit: false), AppendOrigin.Coordinator);
        Assert.Equal(log.HighWatermark, log.LastStableOffset);

        AbortedTxn aborted = Assert.Single(Aborted(log));
        Assert.Equal(new AbortedTxn(8, 3, 7, 8), aborted);
        Assert.Empty(Aborted(log, from: 8));
    }

    [Fact]
    public void Markers_from_a_fenced_coordinator_or_an_old_epoch_are_refused()
    {
        using PartitionLog log = Open();
        Append(log, Batch(7, 1, 0, transactional: true));
        Append(log, Marker(7, 1, commit: true, coordinatorEpoch: 4), AppendOrigin.Coordinator);

        Assert.Equal(ErrorCode.TransactionCoordinatorFenced, Append(log, Marker(7, 1, commit: false, coordinatorEpoch: 3), AppendOrigin.Coordinator).Error);
        Assert.Equal(ErrorCode.InvalidProducerEpoch, Append(log, Marker(7, 0, commit: false, coordinatorEpoch: 4), AppendOrigin.Coordinator).Error);
        // A marker with a bumped epoch (a timed-out transaction aborted by the coordinator) fences the old epoch.
        Assert.Equal(ErrorCode.None, Append(log, Marker(7, 2, commit: false, coordinatorEpoch: 4), AppendOrigin.Coordinator).Error);
        Assert.Equal(ErrorCode.InvalidProducerEpoch, Append(log, Batch(7, 1, 2)).Error);
    }

    [Fact]
    public void A_clean_reopen_keeps_duplicates_open_transactions_and_aborted_transactions()
    {
        long retryFirst;
        using (PartitionLog log = Open(Small))
        {
            Append(log, Batch(5, 0, 0, transactional: true));
            Append(log, Marker(5, 0, commit: false), AppendOrigin.Coordinator);
            for (int i = 0; i < 8; i++)
            {
                Append(log, Batch(7, 0, i * 2, padding: 150));
            }

            retryFirst = Append(log, Batch(7, 0, 16, padding: 150)).FirstOffset;
            Append(log, Batch(8, 0, 0, transactional: true));
            Assert.True(log.SegmentCount > 2);
        }

        Assert.NotEmpty(Directory.GetFiles(LogDir, "*" + ProducerStateManager.SnapshotFileSuffix));
        using PartitionLog reopened = Open(Small);
        LogAppendResult retry = Append(reopened, Batch(7, 0, 16, padding: 150));
        Assert.True(retry.IsDuplicate);
        Assert.Equal(retryFirst, retry.FirstOffset);
        Assert.Equal(retryFirst + 2, reopened.LastStableOffset);
        Assert.Equal(new AbortedTxn(5, 0, 2, 3), Assert.Single(Aborted(reopened)));
    }

    [Fact]
    public void After_an_unclean_stop_the_state_and_the_txn_index_are_rebuilt_from_the_log()
    {
        using (PartitionLog log = Open(Small))
        {
            for (int i = 0; i < 6; i++)
            {
                Append(log, Batch(7, 0, i * 2, padding: 150));
            }

            Append(log, Batch(5, 0, 0, transactional: true));
            Append(log, Marker(5, 0, commit: false), AppendOrigin.Coordinator);
            Append(log, Batch(6, 0, 0, transactional: true));
        }

        // As after a crash: no snapshot at all, and the aborted-transaction index lost.
        foreach (string file in Directory.GetFiles(LogDir, "*" + ProducerStateManager.SnapshotFileSuffix)
                     .Concat(Directory.GetFiles(LogDir, "*" + TransactionIndex.FileSuffix)))
        {
            File.Delete(file);
        }

        using PartitionLog reopened = Open(Small, clean: false);
        Assert.True(Append(reopened, Batch(7, 0, 10, padding: 150)).IsDuplicate);
        Assert.Equal(ErrorCode.OutOfOrderSequenceNumber, Append(reopened, Batch(7, 0, 14)).Error);
        Assert.Equal(new AbortedTxn(5, 12, 14, 15), Assert.Single(Aborted(reopened)));
        Assert.Equal(15, reopened.LastStableOffset);
    }

    [Fact]
    public void A_damaged_snapshot_is_skipped_for_the_log()
    {
        using (PartitionLog log = Open())
        {
            Append(log, Batch(7, 0, 0));
            Append(log, Batch(7, 0, 2));
        }

        string snapshot = Assert.Single(Directory.GetFiles(LogDir, "*" + ProducerStateManager.SnapshotFileSuffix));
        byte[] bytes = File.ReadAllBytes(snapshot);
        bytes[^1] ^= 0xFF;
        File.WriteAllBytes(snapshot, bytes);

        using PartitionLog reopened = Open();
        Assert.True(Append(reopened, Batch(7, 0, 2)).IsDuplicate);
        Assert.False(File.Exists(snapshot));
    }

    [Fact]
    public void Truncation_rewinds_the_producer_state_and_the_txn_index()
    {
        using PartitionLog log = Open(Small);
        Append(log, Batch(7, 0, 0, padding: 150));
        Append(log, Batch(5, 0, 0, transactional: true));
        long markerOffset = log.LogEndOffset;
        Append(log, Marker(5, 0, commit: false), AppendOrigin.Coordinator);
        Append(log, Batch(7, 0, 2, padding: 150));
        Assert.Single(Aborted(log));

        log.TruncateTo(markerOffset);

        Assert.Empty(Aborted(log));
        Assert.Equal(2, log.LastStableOffset);
        Assert.Equal(ErrorCode.None, Append(log, Batch(7, 0, 2, padding: 150)).Error);
    }

    [Fact]
    public void Idle_producers_expire_but_not_those_in_a_transaction()
    {
        using PartitionLog log = Open();
        Append(log, Batch(7, 0, 0));
        Append(log, Batch(8, 0, 0, transactional: true));
        _time.Advance(TimeSpan.FromHours(2));

        Assert.Equal(1, log.RemoveExpiredProducers(expirationMs: 3_600_000));
        Assert.False(log.ProducerState.TryGetProducer(7, out _));
        Assert.True(log.ProducerState.TryGetProducer(8, out _));
        // Forgotten: its next batch may start anywhere.
        Assert.Equal(ErrorCode.None, Append(log, Batch(7, 0, 40)).Error);
    }

    [Fact]
    public void Deleting_records_forgets_producers_whose_batches_are_gone()
    {
        using PartitionLog log = Open();
        Append(log, Batch(7, 0, 0));
        Append(log, Batch(8, 0, 0));

        log.DeleteRecordsBefore(2);

        Assert.False(log.ProducerState.TryGetProducer(7, out _));
        Assert.True(log.ProducerState.TryGetProducer(8, out _));
    }
}
