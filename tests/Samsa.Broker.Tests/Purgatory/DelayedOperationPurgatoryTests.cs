using Samsa.Broker.Purgatory;
using Samsa.Broker.Tests.Infrastructure;
using Samsa.Protocol;

namespace Samsa.Broker.Tests.Purgatory;

public sealed class DelayedOperationPurgatoryTests : IDisposable
{
    private static readonly TopicPartition A = new("events", 0);
    private static readonly TopicPartition B = new("events", 1);
    private static readonly TopicPartition C = new("other", 0);

    private readonly ManualTimeProvider _clock = new(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
    private readonly DelayedOperationPurgatory<TestOperation> _purgatory;

    public DelayedOperationPurgatoryTests()
    {
        _purgatory = NewPurgatory();
    }

    public void Dispose() => _purgatory.Dispose();

    // Expired operations run inline on the thread that advances the clock, so the tests need no waiting.
    private DelayedOperationPurgatory<TestOperation> NewPurgatory(int purgeInterval = 1000) =>
        new("Test", new SystemTimer(_clock, startReaper: false, execute: static task => task.Run()), purgeInterval);

    private void Advance(DelayedOperationPurgatory<TestOperation> purgatory, long ms)
    {
        _clock.Advance(TimeSpan.FromMilliseconds(ms));
        purgatory.AdvanceClock();
    }

    [Fact]
    public void Operation_that_can_complete_at_once_is_neither_watched_nor_delayed()
    {
        var operation = new TestOperation(1_000) { Ready = true };
        Assert.True(_purgatory.TryCompleteElseWatch(operation, [A]));
        Assert.Equal(1, operation.Completions);
        Assert.Equal(0, _purgatory.Watched);
        Assert.Equal(0, _purgatory.Delayed);
    }

    [Fact]
    public void Operation_completes_when_a_check_on_its_key_finds_it_ready()
    {
        var operation = new TestOperation(1_000);
        Assert.False(_purgatory.TryCompleteElseWatch(operation, [A]));
        Assert.Equal(1, _purgatory.Delayed);
        Assert.Equal(0, _purgatory.CheckAndComplete(A));
        Assert.Equal(0, _purgatory.CheckAndComplete(B));
        Assert.False(operation.IsCompleted);

        operation.Ready = true;
        Assert.Equal(1, _purgatory.CheckAndComplete(A));
        Assert.Equal(1, operation.Completions);
        Assert.Equal(0, operation.Expirations);
        Assert.Equal(0, _purgatory.Delayed);
        Assert.Equal(0, _purgatory.Watched);

        // Its timer entry was cancelled: the delay passing changes nothing.
        Advance(_purgatory, 2_000);
        Assert.Equal(1, operation.Completions);
        Assert.Equal(0, operation.Expirations);
    }

    [Fact]
    public void Completion_possible_while_the_operation_starts_watching_is_not_missed()
    {
        // Not ready at the first check, ready by the check after watching: the change landed in between.
        var operation = new TestOperation(1_000) { ReadyAfterChecks = 1 };
        Assert.True(_purgatory.TryCompleteElseWatch(operation, [A]));
        Assert.Equal(1, operation.Completions);
        Assert.Equal(0, _purgatory.Delayed);
    }

    [Fact]
    public void Operation_watched_on_several_keys_completes_once_and_leaves_every_watcher_list()
    {
        var operation = new TestOperation(1_000);
        Assert.False(_purgatory.TryCompleteElseWatch(operation, [A, B, C]));
        Assert.Equal(3, _purgatory.Watched);
        Assert.Equal(3, _purgatory.WatchedKeys);

        operation.Ready = true;
        Assert.Equal(1, _purgatory.CheckAndComplete(B));
        Assert.Equal(0, _purgatory.CheckAndComplete(A));
        Assert.Equal(0, _purgatory.CheckAndComplete(C));

        Assert.Equal(1, operation.Completions);
        Assert.Equal(0, _purgatory.Watched);
        Assert.Equal(0, _purgatory.WatchedKeys);
        Assert.Equal(0, _purgatory.Delayed);
    }

    [Fact]
    public void Operation_expires_once_its_delay_has_passed_and_not_before()
    {
        var operation = new TestOperation(100);
        Assert.False(_purgatory.TryCompleteElseWatch(operation, [A]));

        Advance(_purgatory, 99);
        Assert.False(operation.IsCompleted);
        Assert.Equal(1, _purgatory.Delayed);

        Advance(_purgatory, 1);
        Assert.Equal(1, operation.Completions);
        Assert.Equal(1, operation.Expirations);
        Assert.Equal(0, _purgatory.Delayed);

        // A later check finds it completed and only drops it from the list.
        operation.Ready = true;
        Assert.Equal(0, _purgatory.CheckAndComplete(A));
        Assert.Equal(1, operation.Completions);
        Assert.Equal(0, _purgatory.Watched);
    }

    [Fact]
    public void Operation_completes_exactly_once_under_concurrent_checks_and_expiry()
    {
        int completedByCheck = 0, completedByExpiry = 0;
        using var start = new Barrier(3);
        for (int iteration = 0; iteration < 400; iteration++)
        {
            using var purgatory = NewPurgatory();
            var operation = new TestOperation(10);
            Assert.False(purgatory.TryCompleteElseWatch(operation, [A, B]));

            // Ready but not yet checked: the checks and the expiry race to complete it, each starting a little
            // earlier or later than the others from one iteration to the next.
            operation.Ready = true;
            int[] delays = [Random.Shared.Next(1_000), Random.Shared.Next(1_000), Random.Shared.Next(1_000)];
            var threads = new[]
            {
                new Thread(() =>
                {
                    start.SignalAndWait();
                    Thread.SpinWait(delays[0]);
                    purgatory.CheckAndComplete(A);
                }),
                new Thread(() =>
                {
                    start.SignalAndWait();
                    Thread.SpinWait(delays[1]);
                    purgatory.CheckAndComplete(B);
                }),
                new Thread(() =>
                {
                    start.SignalAndWait();
                    Thread.SpinWait(delays[2]);
                    Advance(purgatory, 10);
                }),
            };
            Random.Shared.Shuffle(threads);
            foreach (var thread in threads)
            {
                thread.Start();
            }
            foreach (var thread in threads)
            {
                thread.Join();
            }

            Assert.Equal(1, operation.Completions);
            Assert.Equal(operation.Expirations == 1 ? 0 : 1, operation.CompletedByCheck);
            Assert.InRange(operation.Expirations, 0, 1);
            Assert.Equal(1, operation.MaxConcurrentChecks);
            Assert.Equal(0, purgatory.Delayed);
            completedByCheck += operation.CompletedByCheck;
            completedByExpiry += operation.Expirations;

            // Whatever won, no check adds a completion and the lists end empty.
            purgatory.CheckAndComplete(A);
            purgatory.CheckAndComplete(B);
            Assert.Equal(1, operation.Completions);
            Assert.Equal(0, purgatory.Watched);
        }
        Assert.Equal(400, completedByCheck + completedByExpiry);
        // Both sides won some races, so the race was really run.
        Assert.True(completedByCheck > 0 && completedByExpiry > 0, $"checks won {completedByCheck}, expiries {completedByExpiry}");
    }

    [Fact]
    public void Many_operations_on_one_key_complete_once_each_under_concurrent_checks()
    {
        var operations = Enumerable.Range(0, 2_000).Select(_ => new TestOperation(60_000)).ToArray();
        foreach (var operation in operations)
        {
            Assert.False(_purgatory.TryCompleteElseWatch(operation, [A, B]));
        }
        foreach (var operation in operations)
        {
            operation.Ready = true;
        }
        var checkers = Enumerable.Range(0, 4).Select(i => new Thread(() =>
        {
            for (int round = 0; round < 20; round++)
            {
                _purgatory.CheckAndComplete(i % 2 == 0 ? A : B);
            }
        })).ToArray();
        foreach (var thread in checkers)
        {
            thread.Start();
        }
        foreach (var thread in checkers)
        {
            thread.Join();
        }
        Assert.All(operations, o => Assert.Equal(1, o.Completions));
        Assert.All(operations, o => Assert.Equal(1, o.MaxConcurrentChecks));
        Assert.Equal(0, _purgatory.Delayed);
        Assert.Equal(0, _purgatory.Watched);
        Assert.Equal(0, _purgatory.WatchedKeys);
    }

    [Fact]
    public void Completed_operations_are_purged_from_watcher_lists_once_past_the_purge_interval()
    {
        using var purgatory = NewPurgatory(purgeInterval: 10);
        var operations = Enumerable.Range(0, 30).Select(_ => new TestOperation(60_000)).ToArray();
        foreach (var operation in operations)
        {
            Assert.False(purgatory.TryCompleteElseWatch(operation, [A]));
        }
        // Completed without a check on their key (as by expiry or through another key): they stay listed.
        for (int i = 0; i < 8; i++)
        {
            operations[i].ForceComplete();
        }
        Assert.Equal(30, purgatory.Watched);
        Assert.Equal(22, purgatory.Delayed);

        // 30 watched - 22 pending = 8 lingering, under the interval: no purge yet.
        purgatory.AdvanceClock();
        Assert.Equal(30, purgatory.Watched);

        for (int i = 8; i < 25; i++)
        {
            operations[i].ForceComplete();
        }
        // The next operation watched finds 31 watched - 6 pending > 10 and purges.
        Assert.False(purgatory.TryCompleteElseWatch(new TestOperation(60_000), [B]));
        Assert.Equal(6, purgatory.Watched);
        Assert.Equal(6, purgatory.Delayed);
    }

    [Fact]
    public void Expired_operations_are_purged_by_the_clock_advance()
    {
        using var purgatory = NewPurgatory(purgeInterval: 5);
        for (int i = 0; i < 20; i++)
        {
            Assert.False(purgatory.TryCompleteElseWatch(new TestOperation(50), [A, B]));
        }
        Assert.Equal(40, purgatory.Watched);
        Advance(purgatory, 50);
        Assert.Equal(0, purgatory.Delayed);
        Assert.Equal(0, purgatory.Watched);
        Assert.Equal(0, purgatory.WatchedKeys);
    }

    [Fact]
    public void Shutdown_completes_every_pending_operation_and_later_ones_at_once()
    {
        var keyed = new[] { new TestOperation(60_000), new TestOperation(60_000), new TestOperation(60_000) };
        Assert.False(_purgatory.TryCompleteElseWatch(keyed[0], [A]));
        Assert.False(_purgatory.TryCompleteElseWatch(keyed[1], [A, B]));
        Assert.False(_purgatory.TryCompleteElseWatch(keyed[2], [C]));
        var unkeyed = new TestOperation(60_000);
        Assert.False(_purgatory.TryCompleteElseWatch(unkeyed, []));
        Assert.Equal(4, _purgatory.Delayed);

        _purgatory.Shutdown();

        Assert.All(keyed.Append(unkeyed), o =>
        {
            Assert.Equal(1, o.Completions);
            Assert.Equal(0, o.Expirations);
        });
        Assert.Equal(0, _purgatory.Delayed);
        Assert.Equal(0, _purgatory.Watched);

        var late = new TestOperation(60_000);
        Assert.True(_purgatory.TryCompleteElseWatch(late, [A]));
        Assert.Equal(1, late.Completions);
        Assert.Equal(0, _purgatory.Delayed);
    }

    [Fact]
    public void Operations_watched_while_shutting_down_all_complete()
    {
        for (int iteration = 0; iteration < 200; iteration++)
        {
            var purgatory = NewPurgatory();
            var operations = Enumerable.Range(0, 20).Select(_ => new TestOperation(60_000)).ToArray();
            using var start = new Barrier(2);
            var watcher = new Thread(() =>
            {
                start.SignalAndWait();
                foreach (var operation in operations)
                {
                    purgatory.TryCompleteElseWatch(operation, [A]);
                }
            });
            watcher.Start();
            start.SignalAndWait();
            purgatory.Dispose();
            watcher.Join();
            Assert.All(operations, o => Assert.Equal(1, o.Completions));
            Assert.Equal(0, purgatory.Delayed);
        }
    }

    /// <summary>Completes when <see cref="Ready"/>; counts completions, expiries and overlapping checks.</summary>
    private sealed class TestOperation(long delayMs) : DelayedOperation(delayMs)
    {
        private int _completions;
        private int _expirations;
        private int _completedByCheck;
        private int _checksRunning;
        private int _maxConcurrentChecks;
        private int _checks;
        private volatile bool _ready;

        public bool Ready
        {
            get => _ready;
            set => _ready = value;
        }

        /// <summary>Becomes ready after this many checks (-1: only through <see cref="Ready"/>).</summary>
        public int ReadyAfterChecks { get; init; } = -1;

        public int Completions => Volatile.Read(ref _completions);

        public int Expirations => Volatile.Read(ref _expirations);

        public int CompletedByCheck => Volatile.Read(ref _completedByCheck);

        /// <summary>1 once checked: checks of one operation never overlap.</summary>
        public int MaxConcurrentChecks => Volatile.Read(ref _maxConcurrentChecks);

        public override bool TryComplete()
        {
            int running = Interlocked.Increment(ref _checksRunning);
            InterlockedMax(ref _maxConcurrentChecks, running);
            try
            {
                Thread.SpinWait(20);
                int checks = _checks++;
                bool ready = Ready || (ReadyAfterChecks >= 0 && checks >= ReadyAfterChecks);
                if (ready && ForceComplete())
                {
                    Interlocked.Increment(ref _completedByCheck);
                    return true;
                }
                return false;
            }
            finally
            {
                Interlocked.Decrement(ref _checksRunning);
            }
        }

        protected override void OnComplete() => Interlocked.Increment(ref _completions);

        protected override void OnExpiration() => Interlocked.Increment(ref _expirations);

        private static void InterlockedMax(ref int target, int value)
        {
            int current = Volatile.Read(ref target);
            while (value > current)
            {
                int seen = Interlocked.CompareExchange(ref target, value, current);
                if (seen == current)
                {
                    return;
                }
                current = seen;
            }
        }
    }
}
