using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using Samsa.Client;
using Samsa.Client.Admin;
using Samsa.Client.Config;
using Samsa.Client.Consumer;
using Samsa.Interop.Tests.Infrastructure;
using Samsa.Protocol;
using Xunit.Abstractions;

namespace Samsa.Interop.Tests.SamsaClient;

/// <summary>
/// Three Samsa.Client consumers in one group on a six-partition topic of a Samsa broker process, each on its own thread,
/// each committing every record it reads. One member "crashes": its thread stops and the consumer is disposed without
/// LeaveGroup (what a killed process leaves behind: its connections close, nobody says goodbye), after it read, but did
/// not commit, one record on each of its partitions. The coordinator must expire it after session.timeout.ms and hand
/// its partitions to the two survivors, which then read every partition from its committed offset to the end, the
/// crashed member's uncommitted records and everything produced afterwards, each record exactly once across the group.
/// </summary>
public sealed class SamsaClientGroupFailoverTests(ITestOutputHelper output)
{
    private const int Partitions = 6;
    private const int SessionTimeoutMs = 3000;
    private const int HeartbeatIntervalMs = 300;
    private const int FirstRound = 10;
    private const int LastRound = 20;
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    /// <summary>Expiry takes session.timeout.ms; the rebalance after it a heartbeat and a join/sync round, so this much more.</summary>
    private static readonly TimeSpan RebalanceAllowance = TimeSpan.FromMilliseconds(1500);

    [Fact]
    public async Task Survivors_take_over_a_crashed_members_partitions_and_read_each_record_once_from_the_committed_offsets()
    {
        await using var broker = await BrokerProcess.LaunchAsync(ConsumerGroupBrokerFixture.Overrides);
        await InteropFailure.WithBrokerOutputAsync(broker, async () =>
        {
            string bootstrap = broker.BootstrapServers;
            string topic = InteropFailure.NewTopic("sc-failover");
            string group = topic + "-group";
            await SamsaClientDriver.CreateTopicAsync(bootstrap, topic, Partitions);
            var log = new ConcurrentQueue<Consumed>();
            var total = Stopwatch.StartNew();
            var members = Enumerable.Range(0, 3).Select(i => new Member($"member-{i}", bootstrap, group, topic, log)).ToList();
            try
            {
                await Poll.UntilAsync(() => members.All(m => m.Assignment.Count == 2) && members.SelectMany(m => m.Assignment).Distinct().Count() == Partitions,
                    Deadline, "three members with two partitions each", () => Describe(members));
                output.WriteLine($"{total.ElapsedMilliseconds} ms: three members hold two partitions each");

                // Round 1: every member reads and commits its partitions' records.
                Produce(bootstrap, topic, 0, FirstRound);
                await Poll.UntilAsync(() => members.Sum(m => m.Committed) == Partitions * FirstRound, Deadline,
                    $"{Partitions * FirstRound} records read and committed", () => Describe(members));

                // One more record per partition; the member about to crash reads its two without committing them.
                var victim = members[2];
                var victimPartitions = victim.Assignment.Select(tp => tp.Partition).ToHashSet();
                victim.CommitEnabled = false;
                Produce(bootstrap, topic, FirstRound, FirstRound + 1);
                await Poll.UntilAsync(() => members.Sum(m => m.Committed) == Partitions * FirstRound + 4 && victim.Read == (2 * FirstRound) + 2, Deadline,
                    "the survivors committed their record, the victim read its two", () => Describe(members));
                Assert.Equal(Partitions * (FirstRound + 1), log.Count);
                Assert.Equal(log.Count, log.Select(c => (c.Partition, c.Offset)).Distinct().Count());

                var committedAtCrash = await CommittedAsync(bootstrap, group, topic);
                Assert.Equal(Enumerable.Range(0, Partitions).Select(p => (p, victimPartitions.Contains(p) ? (long)FirstRound : FirstRound + 1)),
                    committedAtCrash.OrderBy(c => c.Key).Select(c => (c.Key, c.Value)));

                int beforeCrash = log.Count;
                var survivors = members.Take(2).ToList();
                int survivorCommitsBefore = survivors.Sum(m => m.Committed);
                var clock = Stopwatch.StartNew();
                victim.Crash();
                await Poll.UntilAsync(() => survivors.All(m => m.Assignment.Count == 3) && survivors.SelectMany(m => m.Assignment).Distinct().Count() == Partitions,
                    TimeSpan.FromMilliseconds(SessionTimeoutMs) + RebalanceAllowance + TimeSpan.FromSeconds(10),
                    "the two survivors own all six partitions", () => Describe(members));
                var takeover = clock.Elapsed;
                output.WriteLine($"{total.ElapsedMilliseconds} ms: the survivors own all partitions, {takeover.TotalMilliseconds:F0} ms after the crash");
                Assert.True(takeover < TimeSpan.FromMilliseconds(SessionTimeoutMs) + RebalanceAllowance,
                    $"the survivors owned all partitions {takeover.TotalMilliseconds:F0} ms after the crash; session.timeout.ms is {SessionTimeoutMs}\n{Describe(members)}");

                // Round 2, after the takeover: the survivors read from the committed offsets to the end.
                Produce(bootstrap, topic, FirstRound + 1, LastRound);
                int expectedAfterCrash = committedAtCrash.Sum(c => LastRound - (int)c.Value);
                await Poll.UntilAsync(() => log.Count - beforeCrash >= expectedAfterCrash && survivors.Sum(m => m.Committed) >= survivorCommitsBefore + expectedAfterCrash,
                    Deadline, $"{expectedAfterCrash} records read and committed by the survivors", () => Describe(members));

                output.WriteLine($"{total.ElapsedMilliseconds} ms: the survivors read and committed the {expectedAfterCrash} records after the committed offsets");
                var afterCrash = log.Skip(beforeCrash).ToList();
                Assert.DoesNotContain(afterCrash, c => c.Member == victim.Name);
                for (int p = 0; p < Partitions; p++)
                {
                    var expected = Enumerable.Range((int)committedAtCrash[p], LastRound - (int)committedAtCrash[p]).Select(o => ((long)o, ValueOf(p, o))).ToList();
                    var got = afterCrash.Where(c => c.Partition == p).Select(c => (c.Offset, c.Value)).ToList();
                    Assert.True(expected.SequenceEqual(got),
                        $"partition {p}: after the crash the group read [{string.Join(", ", got.Select(g => g.Offset))}], " +
                        $"expected offsets {committedAtCrash[p]}..{LastRound - 1} once each\n{Describe(members)}");
                }
                var committedAtEnd = await CommittedAsync(bootstrap, group, topic);
                Assert.All(Enumerable.Range(0, Partitions), p => Assert.Equal(LastRound, committedAtEnd.GetValueOrDefault(p, -1)));
                Assert.All(members.Take(2), m => Assert.Empty(m.Errors));
            }
            finally
            {
                foreach (var member in members)
                {
                    member.Dispose();
                }
            }
        });
    }

    private static string ValueOf(int partition, int offset) => string.Create(CultureInfo.InvariantCulture, $"p{partition}-{offset}");

    /// <summary>Records offsets from..to-1 of every partition, through Samsa.Client's producer.</summary>
    private static void Produce(string bootstrap, string topic, int from, int to)
    {
        using var producer = new Samsa.Client.Producer.ProducerBuilder<Null?, string>(new ProducerConfig { BootstrapServers = bootstrap }).Build();
        var sent = new List<Task<DeliveryResult<Null?, string>>>();
        for (int offset = from; offset < to; offset++)
        {
            for (int p = 0; p < Partitions; p++)
            {
                sent.Add(producer.ProduceAsync(new TopicPartition(topic, p), new Message<Null?, string> { Value = ValueOf(p, offset) }));
            }
        }
        var results = Task.WhenAll(sent).WaitAsync(Deadline).GetAwaiter().GetResult();
        Assert.All(results, r => Assert.Equal(int.Parse(r.Message.Value.Split('-')[1], CultureInfo.InvariantCulture), r.Offset.Value));
    }

    private static async Task<Dictionary<int, long>> CommittedAsync(string bootstrap, string group, string topic)
    {
        await using var admin = await AdminClient.ConnectAsync(bootstrap);
        var offsets = await admin.ListGroupOffsetsAsync(group);
        return offsets.Where(o => o.Key.Topic == topic).ToDictionary(o => o.Key.Partition, o => o.Value);
    }

    private static string Describe(IEnumerable<Member> members) => string.Join("\n", members.Select(m => m.Describe()));

    private sealed record Consumed(string Member, int Partition, long Offset, string Value);

    /// <summary>
    /// One group member: a consumer on a thread of its own (consumers are single-threaded) that commits each record it
    /// reads. Its counters and assignment snapshot are safe to read from the test thread.
    /// </summary>
    private sealed class Member : IDisposable
    {
        private readonly IConsumer<Null?, string> _consumer;
        private readonly ConcurrentQueue<Consumed> _log;
        private readonly Thread _thread;
        private readonly CancellationTokenSource _stop = new();
        private IReadOnlyList<TopicPartition> _assignment = [];
        private int _read;
        private int _committed;
        private volatile bool _crashed;
        private volatile bool _commitEnabled = true;

        public Member(string name, string bootstrap, string group, string topic, ConcurrentQueue<Consumed> log)
        {
            Name = name;
            _log = log;
            _consumer = new ConsumerBuilder<Null?, string>(new ConsumerConfig
            {
                BootstrapServers = bootstrap,
                ClientId = name,
                GroupId = group,
                AutoOffsetReset = AutoOffsetReset.Earliest,
                EnableAutoCommit = false,
                SessionTimeoutMs = SessionTimeoutMs,
                HeartbeatIntervalMs = HeartbeatIntervalMs,
            }).SetErrorHandler((_, e) => Errors.Enqueue($"{e.Error}: {e.Message}")).Build();
            _consumer.Subscribe(topic);
            _thread = new Thread(Run) { IsBackground = true, Name = name };
            _thread.Start();
        }

        public string Name { get; }

        /// <summary>False: the member goes on reading but commits nothing more.</summary>
        public bool CommitEnabled { get => _commitEnabled; set => _commitEnabled = value; }

        public ConcurrentQueue<string> Errors { get; } = new();

        public IReadOnlyList<TopicPartition> Assignment => Volatile.Read(ref _assignment);

        public int Read => Volatile.Read(ref _read);

        public int Committed => Volatile.Read(ref _committed);

        private void Run()
        {
            while (!_stop.IsCancellationRequested)
            {
                try
                {
                    var result = _consumer.Consume(TimeSpan.FromMilliseconds(100));
                    Volatile.Write(ref _assignment, _consumer.Assignment);
                    if (result is null)
                    {
                        continue;
                    }
                    _log.Enqueue(new Consumed(Name, result.Partition, result.Offset.Value, result.Message.Value));
                    Interlocked.Increment(ref _read);
                    if (CommitEnabled)
                    {
                        _consumer.Commit(result);
                        Interlocked.Increment(ref _committed);
                    }
                }
                catch (Exception e) when (e is KafkaException or ObjectDisposedException)
                {
                    Errors.Enqueue($"{e.GetType().Name}: {e.Message}");
                }
            }
        }

        /// <summary>Stops reading and drops the consumer without LeaveGroup or a commit, as a killed process would.</summary>
        public void Crash()
        {
            _crashed = true;
            _stop.Cancel();
            _thread.Join();
            _consumer.Dispose();
        }

        public string Describe() =>
            $"{Name}{(_crashed ? " (crashed)" : "")}: read {Read}, committed {Committed}, assignment [{string.Join(", ", Assignment.Select(tp => tp.Partition))}], " +
            $"errors [{string.Join("; ", Errors.Take(5))}]";

        public void Dispose()
        {
            if (!_crashed)
            {
                _stop.Cancel();
                _thread.Join();
                _consumer.Close();
            }
            _stop.Dispose();
        }
    }
}
