using System.Globalization;
using Samsa.Client;
using Samsa.Client.Config;
using Samsa.Client.Producer;
using Samsa.Interop.Tests.Infrastructure;
using Samsa.Interop.Tests.Transactions;
using Samsa.Protocol;

namespace Samsa.Interop.Tests.SamsaClient;

/// <summary>
/// Samsa.Client's producer with its default settings (idempotent, acks=all; only request.timeout.ms shortened to 1 s)
/// sends 21,000 numbered records to three partitions while the broker process is killed (SIGKILL) and started again
/// twice, and paused (SIGSTOP) twice for twice the request timeout. Requests cut by a kill are retried on a new
/// connection; requests that time out during a pause are retried while the paused broker still holds the originals,
/// which it appends once it runs again, so the retries arrive as duplicates the broker must recognise by sequence
/// number. At the end every record was acknowledged without error at the offset it has in its partition, and
/// confluent-kafka-python reads every record exactly once, in send order, at offsets 0..n-1.
/// The faults do bring duplicates: with enable.idempotence=false and acks=1 the same run acknowledged records at
/// shifted offsets and stored about 330 values twice per partition, from the first pause on.
/// </summary>
public sealed class SamsaClientIdempotentProducerFailureTests
{
    private const int Partitions = 3;
    private const int Records = 21_000;
    private const int RecordsPerTick = 100;
    private static readonly TimeSpan Tick = TimeSpan.FromMilliseconds(25);
    private static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan ProgressDeadline = TimeSpan.FromSeconds(45);
    private static readonly TimeSpan FlushDeadline = TimeSpan.FromSeconds(90);

    private enum Cut
    {
        Kill,
        Pause,
    }

    [Fact]
    public Task Idempotent_producer_writes_every_record_once_in_order_across_broker_kills_and_pauses() =>
        ProduceThroughFaultsAsync([]);
    private static async Task ProduceThroughFaultsAsync(IEnumerable<KeyValuePair<string, string>> settings)
    {
        await using var broker = await BrokerProcess.LaunchAsync(ConsumerGroupBrokerFixture.Overrides);
        await InteropFailure.WithBrokerOutputAsync(broker, async () =>
        {
            string topic = InteropFailure.NewTopic("sc-idempotent");
            await SamsaClientDriver.CreateTopicAsync(broker.BootstrapServers, topic, Partitions);

            var config = new ProducerConfig { BootstrapServers = broker.BootstrapServers, RequestTimeoutMs = (int)RequestTimeout.TotalMilliseconds };
            foreach (var (key, value) in settings)
            {
                config.Set(key, value);
            }
            var deliveries = new Deliveries(Records);
            using var producer = new ProducerBuilder<Null?, string>(config).Build();

            // About 5 s of sending (4,000 records a second); the cuts fall at these acknowledgement counts.
            (int AckedAtLeast, Cut Cut)[] cuts = [(3_000, Cut.Kill), (7_000, Cut.Pause), (11_000, Cut.Kill), (15_000, Cut.Pause)];
            using var stop = new CancellationTokenSource();
            var sender = Task.Run(async () =>
            {
                for (int i = 0; i < Records; i++)
                {
                    int index = i;
                    producer.Produce(new TopicPartition(topic, i % Partitions), new Message<Null?, string> { Value = ValueOf(i) },
                        report => deliveries.Record(index, report));
                    if (i % RecordsPerTick == RecordsPerTick - 1)
                    {
                        // The sending rate, not a wait for a condition: the faults must fall while records are in flight.
                        await Task.Delay(Tick, stop.Token);
                    }
                }
            });
            try
            {
                foreach (var (ackedAtLeast, cut) in cuts)
                {
                    await Poll.UntilAsync(() => sender.IsFaulted || deliveries.Acknowledged >= ackedAtLeast, ProgressDeadline,
                        $"{ackedAtLeast} records acknowledged", deliveries.Describe);
                    if (sender.IsFaulted)
                    {
                        await sender;
                    }
                    Assert.True(deliveries.Acknowledged < Records, $"all records were acknowledged before the cut at {ackedAtLeast}; it must fall while sending");
                    if (cut == Cut.Kill)
                    {
                        broker.Kill();
                        await broker.StartAsync();
                    }
                    else
                    {
                        // The length of the fault: long enough for the in-flight produce requests to time out, so the
                        // client retries batches the broker reads and appends from the old connection once it runs again.
                        broker.Pause();
                        try
                        {
                            await Task.Delay(RequestTimeout * 2);
                        }
                        finally
                        {
                            broker.Resume();
                        }
                    }
                }
                await sender;
            }
            finally
            {
                await stop.CancelAsync();
            }

            int unsent = producer.Flush(FlushDeadline);
            Assert.True(unsent == 0, $"{unsent} records still queued {FlushDeadline.TotalSeconds:F0} s after the last one was produced; {deliveries.Describe()}");
            deliveries.AssertEveryRecordAcknowledgedDensely(Partitions);

            var stored = await TxnDriver.ConsumeAsync(broker.BootstrapServers, topic, Partitions, "read_uncommitted");
            for (int p = 0; p < Partitions; p++)
            {
                var expected = Enumerable.Range(0, Records).Where(i => i % Partitions == p).Select(ValueOf).ToList();
                var got = stored.InPartition(p).Select(r => r.Value).ToList();
                if (!got.SequenceEqual(expected))
                {
                    var duplicates = got.GroupBy(v => v).Where(g => g.Count() > 1).ToList();
                    var missing = expected.Except(got).Take(5).ToList();
                    int firstDifference = got.Zip(expected).TakeWhile(pair => pair.First == pair.Second).Count();
                    Assert.Fail($"partition {p}: {got.Count} records stored for {expected.Count} sent; first difference at index {firstDifference} " +
                                $"(stored {got.ElementAtOrDefault(firstDifference)}, sent {expected.ElementAtOrDefault(firstDifference)}); " +
                                $"{duplicates.Count} values stored more than once, e.g. [{string.Join(", ", duplicates.Take(5).Select(g => g.Key))}]; " +
                                $"missing e.g. [{string.Join(", ", missing)}]");
                }
                var offsets = stored.InPartition(p).Select(r => r.Offset).ToList();
                Assert.True(offsets.SequenceEqual(Enumerable.Range(0, offsets.Count).Select(i => (long)i)),
                    $"partition {p}: offsets are not 0..{offsets.Count - 1} without gaps");
            }
        });
    }

    private static string ValueOf(int i) => i.ToString("D6", CultureInfo.InvariantCulture);

    /// <summary>Each record's delivery report, by record number. Thread-safe: reports arrive on client threads.</summary>
    private sealed class Deliveries(int count)
    {
        private readonly DeliveryReport<Null?, string>?[] _reports = new DeliveryReport<Null?, string>?[count];
        private readonly int[] _calls = new int[count];
        private int _acknowledged;
        private int _failed;

        public int Acknowledged => Volatile.Read(ref _acknowledged);

        public void Record(int index, DeliveryReport<Null?, string> report)
        {
            Interlocked.Increment(ref _calls[index]);
            Volatile.Write(ref _reports[index], report);
            Interlocked.Increment(ref report.Error == ErrorCode.None ? ref _acknowledged : ref _failed);
        }

        public string Describe() => $"{Acknowledged} acknowledged, {Volatile.Read(ref _failed)} failed of {_reports.Length}";

        /// <summary>One successful report per record, at the offset its send order in its partition gives.</summary>
        public void AssertEveryRecordAcknowledgedDensely(int partitions)
        {
            var problems = new List<string>();
            for (int i = 0; i < _reports.Length; i++)
            {
                var report = _reports[i];
                long expectedOffset = i / partitions;
                if (_calls[i] != 1)
                {
                    problems.Add($"record {i}: {_calls[i]} delivery reports");
                }
                else if (report!.Error != ErrorCode.None)
                {
                    problems.Add($"record {i}: failed with {report.Error}: {report.Reason}");
                }
                else if (report.Partition != i % partitions || report.Offset.Value != expectedOffset)
                {
                    problems.Add($"record {i}: acknowledged at partition {report.Partition} offset {report.Offset}, expected {i % partitions} @{expectedOffset}");
                }
            }
            Assert.True(problems.Count == 0, $"{problems.Count} bad delivery reports ({Describe()}):\n  " + string.Join("\n  ", problems.Take(12)));
        }
    }
}
