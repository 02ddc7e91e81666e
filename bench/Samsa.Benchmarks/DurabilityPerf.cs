using Samsa.Client.Network;
using System.Buffers.Binary;
using System.Diagnostics;
using System.Net.Sockets;
using Samsa.Broker;
using Samsa.Broker.Config;
using Samsa.Client;
using Samsa.Protocol;
using Samsa.Protocol.Messages;
using Samsa.Protocol.Records;

namespace Samsa.Benchmarks;

/// <summary>
/// `dotnet run -c Release --project bench/Samsa.Benchmarks -- durability [--seconds N] [--producers N]
/// [--partitions N] [--records N] [--size BYTES] [--rounds N] [--in-flight N]`: produce throughput with acks=1 from
/// concurrent producers (one connection each with up to --in-flight requests pipelined, default 1, as a Kafka client's
/// max.in.flight.requests.per.connection; producer i writing partition i % partitions) against an
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
        int inFlight = ArgInt(args, "--in-flight", 1);
        Console.WriteLine($"durability: {producers} producers, acks=1, {partitions} partitions, {recordsPerRequest} records of {recordSize} B per request, {inFlight} in flight per producer, {seconds} s per run");

        var ratios = new List<double>();
        for (int round = 0; round < rounds; round++)
        {
            double off = await RunOnceAsync(groupCommit: false, seconds, producers, partitions, recordsPerRequest, recordSize, inFlight);
            double on = await RunOnceAsync(groupCommit: true, seconds, producers, partitions, recordsPerRequest, recordSize, inFlight);
            ratios.Add(on / off);
            Console.WriteLine($"round {round + 1}: group commit off {off:F0} records/s ({off * recordSize / 1e6:F1} MB/s), on {on:F0} records/s ({on * recordSize / 1e6:F1} MB/s), on/off = {on / off:F2}");
        }

        ratios.Sort();
        Console.WriteLine($"median on/off = {ratios[ratios.Count / 2]:F2} (target >= 0.80)");
        return 0;
    }

    private static async Task<double> RunOnceAsync(bool groupCommit, int seconds, int producers, int partitions, int recordsPerRequest, int recordSize, int inFlight)
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
            long[] requests = inFlight <= 1
                ? await Task.WhenAll(connections.Select((c, i) => ProduceLoopAsync(c, i % partitions, batch, TimeSpan.FromSeconds(seconds))))
                : await Task.WhenAll(Enumerable.Range(0, producers).Select(i => PipelinedProduceLoopAsync(bootstrap, i % partitions, batch, inFlight, TimeSpan.FromSeconds(seconds))));
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

    /// <summary>
    /// One producer on a raw connection keeping up to <paramref name="inFlight"/> Produce v9 requests outstanding;
    /// returns how many were acknowledged within <paramref name="duration"/>.
    /// </summary>
    private static async Task<long> PipelinedProduceLoopAsync(string bootstrap, int partition, byte[] batch, int inFlight, TimeSpan duration)
    {
        var (host, port) = KafkaConnection.ParseHostPort(bootstrap);
        using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await socket.ConnectAsync(host, port);
        using var input = new NetworkStream(socket);
        var request = new ProduceRequest { Acks = 1, TimeoutMs = 30_000 };
        request.TopicData.Add(new ProduceRequest.TopicProduceData
        {
            Name = "perf",
            PartitionData = [new ProduceRequest.PartitionProduceData { Index = partition, Records = batch }],
        });
        short headerVersion = ApiMessages.RequestHeaderVersion(ApiKey.Produce, 9);
        var header = new RequestHeader { RequestApiKey = (short)ApiKey.Produce, RequestApiVersion = 9, ClientId = "durabilityperf" };
        int size = header.Size(headerVersion) + request.Size(9);
        byte[] frame = new byte[4 + size];
        BinaryPrimitives.WriteInt32BigEndian(frame, size);
        var writer = new ProtocolWriter(frame.AsSpan(4));
        header.Write(ref writer, headerVersion);
        request.Write(ref writer, 9);

        using var window = new SemaphoreSlim(inFlight);
        var watch = Stopwatch.StartNew();
        long sent = 0;
        var receiver = Task.Run(async () =>
        {
            byte[] response = new byte[64 * 1024];
            long acknowledged = 0;
            while (acknowledged < Volatile.Read(ref sent) || watch.Elapsed < duration)
            {
                await input.ReadExactlyAsync(response.AsMemory(0, 4));
                int length = BinaryPrimitives.ReadInt32BigEndian(response);
                await input.ReadExactlyAsync(response.AsMemory(0, length));
                var reader = new ProtocolReader(response.AsMemory(0, length));
                reader.ReadInt32();
                reader.ReadUnsignedVarint();
                var produced = new ProduceResponse();
                produced.Read(ref reader, 9);
                short error = produced.Responses[0].PartitionResponses[0].ErrorCode;
                if (error != 0)
                {
                    throw new InvalidOperationException($"produce failed with error {error}");
                }
                acknowledged++;
                window.Release();
            }
            return acknowledged;
        });
        while (watch.Elapsed < duration)
        {
            await window.WaitAsync();
            Interlocked.Increment(ref sent);
            await socket.SendAsync(frame);
        }
        return await receiver;
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
