using System.Diagnostics;
using Samsa.Broker;
using Samsa.Broker.Config;
using Samsa.Client;
using Samsa.Protocol.Messages;
using Samsa.Protocol.Records;

namespace Samsa.Benchmarks;

/// <summary>
/// `dotnet run -c Release --project bench/Samsa.Benchmarks -- durability [--seconds N] [--producers N]
/// [--partitions N] [--records N] [--size BYTES] [--rounds N]`: produce throughput with acks=1 from concurrent
/// producers (one connection each, one request in flight, producer i writing partition i % partitions) against an
/// in-process broker on loopback, with log.flush.group.commit.enable off and on, alternating in the same run; prints
/// records/s of each round and the median ratio on/off.
/// </summary>
internal static class DurabilityPerf
{
    public static async Task<int> RunAsync(string[] args)
    {
        int seconds = ArgInt(args, "--seconds", 5);
        int producers = ArgInt(args, "--producers", 8);
        int partitions = ArgInt(args, "--partitions", 8);
        int recordsPerRequest = ArgInt(args, "--records", 100);
        int recordSize = ArgInt(args, "--size", 100);
        int rounds = ArgInt(args, "--rounds", 3);
        Console.WriteLine($"durability: {producers} producers, acks=1, {partitions} partitions, {recordsPerRequest} records of {recordSize} B per request, {seconds} s per run");

        var ratios = new List<double>();
        for (int round = 0; round < rounds; round++)
        {
            double off = await RunOnceAsync(groupCommit: false, seconds, producers, partitions, recordsPerRequest, recordSize);
            double on = await RunOnceAsync(groupCommit: true, seconds, producers, partitions, recordsPerRequest, recordSize);
            ratios.Add(on / off);
            Console.WriteLine($"round {round + 1}: group commit off {off:F0} records/s ({off * recordSize / 1e6:F1} MB/s), on {on:F0} records/s ({on * recordSize / 1e6:F1} MB/s), on/off = {on / off:F2}");
        }

        ratios.Sort();
        Console.WriteLine($"median on/off = {ratios[ratios.Count / 2]:F2} (target >= 0.80)");
        return 0;
    }

    private static async Task<double> RunOnceAsync(bool groupCommit, int seconds, int producers, int partitions, int recordsPerRequest, int recordSize)
    {
        string dataDir = Path.Combine(Path.GetTempPath(), "samsa-durabilityperf-" + Guid.NewGuid().ToString("N"));
        var broker = await SamsaBroker.StartAsync(new BrokerConfig
        {
            Listeners = [new ListenerEndpoint("PLAINTEXT", "127.0.0.1", 0)],
            LogDirs = [dataDir],
            LogFlushGroupCommitEnable = groupCommit,
        });
        try
        {
            string bootstrap = broker.BootstrapServers;
            await using (var setup = await KafkaConnection.ConnectAsync(bootstrap))
            {
                var create = new CreateTopicsRequest { TimeoutMs = 5000 };
                create.Topics.Add(new CreateTopicsRequest.CreatableTopic { Name = "perf", NumPartitions = partitions, ReplicationFactor = 1 });
                await setup.SendAsync<CreateTopicsResponse>(create, 5);
            }

            var connections = new List<KafkaConnection>();
            for (int i = 0; i < producers; i++)
            {
                connections.Add(await KafkaConnection.ConnectAsync(bootstrap));
            }

            byte[] batch = MakeBatch(recordsPerRequest, recordSize);
            // Warm-up: JIT and the first segment's page cache.
            await Task.WhenAll(connections.Select((c, i) => ProduceLoopAsync(c, i % partitions, batch, TimeSpan.FromSeconds(1))));
            var watch = Stopwatch.StartNew();
            long[] requests = await Task.WhenAll(connections.Select((c, i) => ProduceLoopAsync(c, i % partitions, batch, TimeSpan.FromSeconds(seconds))));
            double elapsed = watch.Elapsed.TotalSeconds;
            foreach (var c in connections)
            {
                await c.DisposeAsync();
            }

            return requests.Sum() * recordsPerRequest / elapsed;
        }
        finally
        {
            await broker.StopAsync();
            Directory.Delete(dataDir, recursive: true);
        }
    }

    private static async Task<long> ProduceLoopAsync(KafkaConnection connection, int partition, byte[] batch, TimeSpan duration)
    {
        var data = new ProduceRequest.PartitionProduceData { Index = partition };
        var request = new ProduceRequest { Acks = 1, TimeoutMs = 30_000 };
        request.TopicData.Add(new ProduceRequest.TopicProduceData { Name = "perf", PartitionData = [data] });
        long count = 0;
        var watch = Stopwatch.StartNew();
        while (watch.Elapsed < duration)
        {
            // The broker stamps offsets into its own copy of the request; the client's bytes stay as built.
            data.Records = batch;
            var response = await connection.SendAsync<ProduceResponse>(request, 9);
            short error = response.Responses[0].PartitionResponses[0].ErrorCode;
            if (error != 0)
            {
                throw new InvalidOperationException($"produce failed with error {error}");
            }
            count++;
        }
        return count;
    }

    private static byte[] MakeBatch(int records, int size)
    {
        using var builder = new RecordBatchBuilder();
        byte[] value = new byte[size];
        Random.Shared.NextBytes(value);
        long now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        for (int i = 0; i < records; i++)
        {
            builder.Append(now, null, value);
        }
        return builder.ToArray();
    }

    private static int ArgInt(string[] args, string name, int fallback)
    {
        int i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1], System.Globalization.CultureInfo.InvariantCulture) : fallback;
    }
}
