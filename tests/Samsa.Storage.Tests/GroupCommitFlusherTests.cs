using Microsoft.Win32.SafeHandles;
using Samsa.Protocol;
using Samsa.Protocol.Records;

namespace Samsa.Storage.Tests;

public sealed class GroupCommitFlusherTests : IDisposable
{
    private static readonly TopicPartition Tp = new("orders", 0);
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(10);
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private PartitionLog Open(LogConfig? config = null) =>
        PartitionLog.Open(_dir.Combine("orders-0"), Tp, config ?? LogConfig.Default);

    /// <summary>Appends one batch of <paramref name="count"/> records and returns the log end it reached.</summary>
    private static long Append(PartitionLog log, int count = 1, int padding = 0)
    {
        byte[] batch = Batches.Numbered("r" + log.LogEndOffset, count, padding);
        Assert.Equal(ErrorCode.None, BatchValidator.ValidateProduceRecords(batch, out _, out _));
        return log.Append(batch, 0).LastOffset + 1;
    }

    [Fact]
    public async Task Waiter_completes_only_after_a_sync_that_covers_its_append()
    {
        using var sync = new GatedSync();
        using var flusher = new GroupCommitFlusher(sync: sync.Sync);
        using PartitionLog log = Open();

        long first = Append(log);
        ValueTask<bool> firstWait = flusher.WaitForFlushAsync(log, first);
        Assert.True(sync.WaitEntered(), "the flusher never synced");
        Assert.False(firstWait.IsCompleted, "the waiter completed while its sync was still running");
        Assert.Equal(0, log.RecoveryPoint);

        // Two appends while the first sync runs: they wait for the next round and share its one sync.
        long second = Append(log);
        long third = Append(log, 3);
        Task<bool> secondWait = flusher.WaitForFlushAsync(log, second).AsTask();
        Task<bool> thirdWait = flusher.WaitForFlushAsync(log, third).AsTask();
        sync.Release();
        Assert.True(await firstWait);
        Assert.True(log.RecoveryPoint >= first);

        Assert.True(sync.WaitEntered(), "the second round never synced");
        Assert.False(secondWait.IsCompleted || thirdWait.IsCompleted, "later waiters completed before their sync finished");
        sync.Release();
        Assert.True(await secondWait.WaitAsync(Deadline));
        Assert.True(await thirdWait.WaitAsync(Deadline));
        Assert.Equal(third, log.RecoveryPoint);
        Assert.Equal(2, sync.Calls);
        Assert.All(sync.Handles, h => Assert.Same(log.Segments[0].Handle, h));
    }

    [Fact]
    public async Task Waiter_below_the_recovery_point_completes_without_a_sync()
    {
        int syncs = 0;
        using var flusher = new GroupCommitFlusher(sync: _ => Interlocked.Increment(ref syncs));
        using PartitionLog log = Open();
        long end = Append(log, 5);
        log.Flush();

        ValueTask<bool> wait = flusher.WaitForFlushAsync(log, end);

        Assert.True(wait.IsCompletedSuccessfully);
        Assert.True(await wait);
        Assert.Equal(0, Volatile.Read(ref syncs));
    }

    [Fact]
    public async Task Concurrent_appenders_are_each_covered_and_share_syncs()
    {
        const int Appenders = 8;
        const int AppendsEach = 40;
        int syncs = 0;
        using var flusher = new GroupCommitFlusher(sync: handle =>
        {
            Interlocked.Increment(ref syncs);
            FileSync.DataSync(handle);
        });
        using PartitionLog log = Open();
        int uncovered = 0;

        Task[] appenders = new Task[Appenders];
        for (int a = 0; a < Appenders; a++)
        {
            appenders[a] = Task.Run(async () =>
            {
                for (int i = 0; i < AppendsEach; i++)
                {
                    long end = Append(log, 2);
                    Assert.True(await flusher.WaitForFlushAsync(log, end));
                    if (log.RecoveryPoint < end)
                    {
                        Interlocked.Increment(ref uncovered);
                    }
                }
            });
        }

        await Task.WhenAll(appenders).WaitAsync(TimeSpan.FromSeconds(60));
        Assert.Equal(0, uncovered);
        Assert.Equal(log.LogEndOffset, log.RecoveryPoint);
        Assert.True(Volatile.Read(ref syncs) < Appenders * AppendsEach, $"{syncs} syncs for {Appenders * AppendsEach} appends: none shared");
    }

    [Fact]
    public async Task Flush_covers_a_segment_that_rolls_while_it_syncs()
    {
        using var sync = new GatedSync();
        using var flusher = new GroupCommitFlusher(sync: sync.Sync);
        using PartitionLog log = Open(LogConfig.Default with { SegmentBytes = 1024 });

        long first = Append(log, 2);
        LogSegment firstSegment = log.Segments[0];
        ValueTask<bool> firstWait = flusher.WaitForFlushAsync(log, first);
        Assert.True(sync.WaitEntered());

        // Rolls past the first segment while its sync is in flight.
        long rolled = first;
        while (log.SegmentCount < 3)
        {
            rolled = Append(log, 4, padding: 100);
        }

        // Each roll flushes the closed segment in the background (not through the gate) and moves the recovery point.
        Assert.True(SpinWait.SpinUntil(() => log.RecoveryPoint >= log.Segments[^1].BaseOffset, Deadline));
        rolled = Append(log, 1);
        Task<bool> rolledWait = flusher.WaitForFlushAsync(log, rolled).AsTask();
        sync.Release();
        Assert.True(await firstWait);
        Assert.True(sync.WaitEntered());
        sync.Release();
        Assert.True(await rolledWait.WaitAsync(Deadline));

        Assert.Equal(log.LogEndOffset, log.RecoveryPoint);
        Assert.Same(firstSegment.Handle, sync.Handles[0]);
        // The second round starts at the recovery point the rolls left: only the active segment is synced.
        Assert.Same(log.Segments[^1].Handle, sync.Handles[^1]);
        Assert.Equal(2, sync.Calls);
    }

    [Fact]
    public async Task Failed_sync_fails_the_waiters_and_reports_the_log()
    {
        var reported = new List<(PartitionLog Log, Exception Cause)>();
        using var flusher = new GroupCommitFlusher(
            onFailure: (log, ex) => { lock (reported) { reported.Add((log, ex)); } },
            sync: _ => throw new IOException("No space left on device"));
        using PartitionLog log = Open();
        long end = Append(log);

        Assert.False(await flusher.WaitForFlushAsync(log, end).AsTask().WaitAsync(Deadline));

        lock (reported)
        {
            (PartitionLog failed, Exception cause) = Assert.Single(reported);
            Assert.Same(log, failed);
            Assert.Contains("No space", cause.Message, StringComparison.Ordinal);
        }

        Assert.Equal(0, log.RecoveryPoint);
    }

    [Fact]
    public async Task Waiters_after_dispose_get_false()
    {
        var flusher = new GroupCommitFlusher(sync: _ => { });
        using PartitionLog log = Open();
        long end = Append(log);
        flusher.Dispose();

        Assert.False(await flusher.WaitForFlushAsync(log, end).AsTask().WaitAsync(Deadline));
    }

    [Fact]
    public void Interval_flush_syncs_the_log_file_and_moves_the_recovery_point()
    {
        using PartitionLog log = Open(LogConfig.Default with { FlushIntervalMessages = 4 });
        Append(log, 3);
        Assert.Equal(0, log.RecoveryPoint);
        long end = Append(log, 1);
        Assert.Equal(end, log.RecoveryPoint);
        Assert.Equal(0, log.UnflushedRecords);
    }

    [Fact]
    public void Data_sync_and_full_sync_accept_a_segment_file_and_refuse_a_closed_one()
    {
        string path = _dir.Combine("file.log");
        using (SafeFileHandle file = File.OpenHandle(path, FileMode.Create, FileAccess.ReadWrite))
        {
            RandomAccess.Write(file, new byte[100], 0);
            FileSync.DataSync(file);
            FileSync.FullSync(file);
            file.Dispose();
            Assert.Throws<ObjectDisposedException>(() => FileSync.DataSync(file));
        }
    }

    /// <summary>A sync hook that records each call and blocks it until the test releases it.</summary>
    private sealed class GatedSync : IDisposable
    {
        private readonly SemaphoreSlim _entered = new(0);
        private readonly SemaphoreSlim _gate = new(0);
        private readonly List<SafeFileHandle> _handles = [];

        public int Calls
        {
            get
            {
                lock (_handles)
                {
                    return _handles.Count;
                }
            }
        }

        public List<SafeFileHandle> Handles
        {
            get
            {
                lock (_handles)
                {
                    return [.. _handles];
                }
            }
        }

        public void Sync(SafeFileHandle handle)
        {
            lock (_handles)
            {
                _handles.Add(handle);
            }

            _entered.Release();
            if (!_gate.Wait(Deadline))
            {
                throw new TimeoutException("the test never released the sync");
            }
        }

        public bool WaitEntered() => _entered.Wait(Deadline);

        public void Release() => _gate.Release();

        public void Dispose()
        {
            // Lets a sync still blocked finish so the flusher can stop.
            _gate.Release(100);
        }
    }
}
