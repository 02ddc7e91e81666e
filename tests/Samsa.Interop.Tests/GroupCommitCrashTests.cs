using System.Diagnostics;
using System.Globalization;
using System.Text;
using Samsa.Interop.Tests.Clients;
using Samsa.Interop.Tests.Infrastructure;

namespace Samsa.Interop.Tests;

/// <summary>
/// kill -9 of a broker with group commit on (log.flush.group.commit.enable) while confluent-kafka-python producers
/// write with acks=all: after each restart every record a producer saw acknowledged is there, at the offset it was
/// acknowledged with and with its value. A process kill leaves the page cache intact, so this checks that nothing
/// acknowledged is lost by the broker's own bookkeeping (recovery, offsets, acknowledgement order); that the bytes are
/// fsynced before the acknowledgement is checked by the storage tests of the flusher with a counting sync hook.
/// </summary>
public sealed class GroupCommitCrashTests
{
    private const int Rounds = 4;
    private const int Producers = 3;
    private const int Partitions = 3;
    private static readonly TimeSpan ClientDeadline = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Every_acknowledged_record_survives_repeated_kill_9_with_group_commit()
    {
        await InteropClients.ConfluentKafka.EnsureInstalledAsync();
        await using var broker = await BrokerProcess.LaunchAsync(new Dictionary<string, string>
        {
            ["log.flush.group.commit.enable"] = "true",
            ["log.segment.bytes"] = "65536",
        });
        await InteropFailure.WithBrokerOutputAsync(broker, async () =>
        {
            string topic = InteropFailure.NewTopic("crash");
            await InteropClients.ConfluentKafka.CreateTopicAsync(broker.BootstrapServers, topic, Partitions);
            var acknowledged = new Dictionary<(int Partition, long Offset), string>();
            var random = new Random();
            for (int round = 1; round <= Rounds; round++)
            {
                var producers = new List<StreamingProducer>();
                for (int i = 0; i < Producers; i++)
                {
                    producers.Add(StreamingProducer.Start(broker.BootstrapServers, topic, $"r{round}p{i}"));
                }

                try
                {
                    await Poll.UntilAsync(() => producers.All(p => p.Acknowledged.Count >= 20), ClientDeadline,
                        $"round {round}: every producer has records acknowledged", () => string.Join('\n', producers.Select(p => p.Describe())));
                    await Task.Delay(random.Next(0, 800));
                    broker.Kill();
                }
                finally
                {
                    foreach (var producer in producers)
                    {
                        producer.Kill();
                    }
                }

                int roundAcks = 0;
                foreach (var producer in producers)
                {
                    foreach (var (partition, offset, value) in producer.Acknowledged)
                    {
                        Assert.True(acknowledged.TryAdd((partition, offset), value),
                            $"offset {offset} of partition {partition} was acknowledged twice: {acknowledged.GetValueOrDefault((partition, offset))} and {value}");
                        roundAcks++;
                    }
                }

                await broker.StartAsync();
                var stored = await ConsumeAllAsync(broker.BootstrapServers, topic);
                var missing = acknowledged.Where(a => !stored.TryGetValue(a.Key, out string? value) || value != a.Value).ToList();
                Assert.True(missing.Count == 0,
                    $"round {round}: {missing.Count} of {acknowledged.Count} acknowledged records are missing or changed after kill -9, e.g. " +
                    string.Join(", ", missing.Take(5).Select(m =>
                        $"{m.Key.Partition}/{m.Key.Offset} acknowledged as {m.Value}, stored as {stored.GetValueOrDefault(m.Key) ?? "nothing"}")));
                Assert.True(roundAcks > 0);
            }
        });
    }

    /// <summary>Every record of the topic, by partition and offset, read with confluent-kafka-python.</summary>
    private static async Task<Dictionary<(int, long), string>> ConsumeAllAsync(string bootstrap, string topic)
    {
        var result = await ClientProcess.RunAsync("/usr/bin/python3",
            [Path.Combine(ClientPaths.PythonDirectory, "crash_client.py"), "consume", "--bootstrap", bootstrap, "--topic", topic,
             "--partitions", Partitions.ToString(CultureInfo.InvariantCulture)],
            ClientDeadline);
        Assert.True(result.ExitCode == 0 && result.Stdout.EndsWith("done\n", StringComparison.Ordinal),
            "consuming everything failed\n" + result.Describe());
        var stored = new Dictionary<(int, long), string>();
        foreach (string line in result.Stdout.Split('\n'))
        {
            if (TryParse(line, out var record))
            {
                Assert.True(stored.TryAdd((record.Partition, record.Offset), record.Value), $"offset {record.Offset} of partition {record.Partition} read twice");
            }
        }
        return stored;
    }

    private static bool TryParse(string line, out (int Partition, long Offset, string Value) record)
    {
        string[] parts = line.Split(' ');
        record = default;
        if (parts.Length != 3
            || !int.TryParse(parts[0], CultureInfo.InvariantCulture, out int partition)
            || !long.TryParse(parts[1], CultureInfo.InvariantCulture, out long offset))
        {
            return false;
        }
        record = (partition, offset, parts[2]);
        return true;
    }

    /// <summary>A crash_client.py producer running until killed, collecting the acknowledgements it prints.</summary>
    private sealed class StreamingProducer
    {
        private readonly Process _process;
        private readonly List<(int, long, string)> _acknowledged = [];
        private readonly StringBuilder _errors = new();

        private StreamingProducer(Process process) => _process = process;

        public IReadOnlyList<(int Partition, long Offset, string Value)> Acknowledged
        {
            get
            {
                lock (_acknowledged)
                {
                    return [.. _acknowledged];
                }
            }
        }

        public static StreamingProducer Start(string bootstrap, string topic, string id)
        {
            var start = new ProcessStartInfo("/usr/bin/python3")
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            foreach (string argument in (string[])[Path.Combine(ClientPaths.PythonDirectory, "crash_client.py"), "produce",
                "--bootstrap", bootstrap, "--topic", topic, "--partitions", Partitions.ToString(CultureInfo.InvariantCulture), "--id", id])
            {
                start.ArgumentList.Add(argument);
            }
            start.Environment["PYTHONDONTWRITEBYTECODE"] = "1";
            var producer = new StreamingProducer(new Process { StartInfo = start });
            producer._process.OutputDataReceived += (_, e) =>
            {
                if (e.Data is not null && TryParse(e.Data, out var record))
                {
                    lock (producer._acknowledged)
                    {
                        producer._acknowledged.Add(record);
                    }
                }
            };
            producer._process.ErrorDataReceived += (_, e) =>
            {
                if (e.Data is not null)
                {
                    lock (producer._errors)
                    {
                        if (producer._errors.Length < 4000)
                        {
                            producer._errors.AppendLine(e.Data);
                        }
                    }
                }
            };
            producer._process.Start();
            producer._process.BeginOutputReadLine();
            producer._process.BeginErrorReadLine();
            return producer;
        }

        /// <summary>SIGKILL; returns once the process is gone and its output read to the end.</summary>
        public void Kill()
        {
            try
            {
                _process.Kill();
            }
            catch (InvalidOperationException)
            {
                // Already exited.
            }
            _process.WaitForExit();
            _process.Dispose();
        }

        public string Describe()
        {
            lock (_errors)
            {
                return $"producer: {Acknowledged.Count} acknowledged; stderr: {_errors}";
            }
        }
    }
}
