using Samsa.Client.Network;
using System.Buffers.Binary;
using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using System.Text;
using Samsa.Client;
using Samsa.Protocol;
using Samsa.Protocol.Messages;
using Samsa.Protocol.Records;

namespace Samsa.Benchmarks;

/// <summary>
/// `fetch fill --bootstrap H:P [--topic T] [--partitions N] [--mib M]`: creates the topic and appends M MiB of
/// 1 KiB records in 1 MiB batches, spread over the partitions.
/// `fetch read --bootstrap H:P [--topic T] [--partitions N] [--gib G] [--partition-max-mib S]`: reads the topic from
/// offset 0 again and again with raw Fetch v12 requests until G GiB of records came back, keeping only the batch
/// headers it needs for the next offsets, and prints GiB/s. The reader copies nothing per record, so it measures the
/// broker's fetch path; bench/perf/zero-copy.sh runs it against a broker with zero copy on and off and adds the
/// broker's CPU time.
/// </summary>
internal static class FetchPerf
{
    public static async Task<int> RunAsync(string[] args)
    {
        string mode = args.Length > 0 ? args[0] : "";
        string bootstrap = Arg(args, "--bootstrap", "127.0.0.1:9092");
        string topic = Arg(args, "--topic", "fetchperf");
        int partitions = int.Parse(Arg(args, "--partitions", "4"), CultureInfo.InvariantCulture);
        switch (mode)
        {
            case "fill":
                await FillAsync(bootstrap, topic, partitions, int.Parse(Arg(args, "--mib", "1024"), CultureInfo.InvariantCulture));
                return 0;
            case "read":
                double gib = double.Parse(Arg(args, "--gib", "4"), CultureInfo.InvariantCulture);
                int partitionMax = int.Parse(Arg(args, "--partition-max-mib", "8"), CultureInfo.InvariantCulture) << 20;
                return await ReadAsync(bootstrap, topic, partitions, (long)(gib * (1L << 30)), partitionMax);
            default:
                Console.Error.WriteLine("usage: fetch fill|read --bootstrap HOST:PORT [--topic T] [--partitions N] [--mib M | --gib G]");
                return 2;
        }
    }

    private static async Task FillAsync(string bootstrap, string topic, int partitions, int mib)
    {
        await using var connection = await KafkaConnection.ConnectAsync(bootstrap);
        var create = new CreateTopicsRequest { TimeoutMs = 10_000 };
        create.Topics.Add(new CreateTopicsRequest.CreatableTopic { Name = topic, NumPartitions = partitions, ReplicationFactor = 1 });
        await connection.SendAsync<CreateTopicsResponse>(create, 5);

        byte[] value = Encoding.ASCII.GetBytes(new string('x', 1000));
        byte[] batch;
        using (var builder = new RecordBatchBuilder())
        {
            for (int i = 0; i < 1000; i++)
            {
                builder.Append(1_700_000_000_000 + i, Encoding.ASCII.GetBytes($"key-{i:D6}"), value);
            }
            batch = builder.ToArray();
        }
        var watch = Stopwatch.StartNew();
        long bytes = 0;
        for (int i = 0; bytes < (long)mib << 20; i++)
        {
            var produce = new ProduceRequest { Acks = 1, TimeoutMs = 30_000 };
            var data = new ProduceRequest.TopicProduceData { Name = topic };
            data.PartitionData.Add(new ProduceRequest.PartitionProduceData { Index = i % partitions, Records = (byte[])batch.Clone() });
            produce.TopicData.Add(data);
            var response = await connection.SendAsync<ProduceResponse>(produce, 7);
            short error = response.Responses[0].PartitionResponses[0].ErrorCode;
            if (error != 0)
            {
                throw new InvalidOperationException($"produce failed with error {error}");
            }
            bytes += batch.Length;
        }
        Console.WriteLine($"filled {topic}: {bytes / (1 << 20)} MiB in {watch.Elapsed.TotalSeconds:F1} s");
    }

    private static async Task<int> ReadAsync(string bootstrap, string topic, int partitions, long target, int partitionMax)
    {
        var (host, port) = KafkaConnection.ParseHostPort(bootstrap);
        using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true, ReceiveBufferSize = 4 << 20 };
        await socket.ConnectAsync(host, port);
        using var input = new NetworkStream(socket);
        var offsets = new long[partitions];
        var ends = new long[partitions];
        byte[] frame = new byte[partitions * partitionMax + (1 << 20)];
        byte[] request = new byte[64 * 1024];
        long total = 0;
        int fetches = 0;
        int correlationId = 0;
        var watch = Stopwatch.StartNew();
        while (total < target)
        {
            var fetch = new FetchRequest { MaxWaitMs = 0, MinBytes = 1, MaxBytes = partitions * partitionMax, ReplicaId = -1 };
            var fetchTopic = new FetchRequest.FetchTopic { Topic = topic };
            for (int p = 0; p < partitions; p++)
            {
                fetchTopic.Partitions.Add(new FetchRequest.FetchPartition { Partition = p, FetchOffset = offsets[p], PartitionMaxBytes = partitionMax });
            }
            fetch.Topics.Add(fetchTopic);
            int length = Encode(fetch, ++correlationId, request);
            await socket.SendAsync(request.AsMemory(0, length));
            int size = await ReceiveFrameAsync(input, frame);
            var reader = new ProtocolReader(frame.AsMemory(0, size));
            reader.ReadInt32();
            reader.ReadUnsignedVarint();
            var response = new FetchResponse();
            response.Read(ref reader, 12);
            foreach (var partition in response.Responses[0].Partitions)
            {
                if (partition.ErrorCode != 0)
                {
                    Console.Error.WriteLine($"fetch error {partition.ErrorCode} on partition {partition.PartitionIndex}");
                    return 1;
                }
                var records = partition.Records!.Value.Span;
                ends[partition.PartitionIndex] = partition.HighWatermark;
                int position = 0;
                long next = offsets[partition.PartitionIndex];
                while (RecordBatchHeader.TryRead(records[position..], out var header) && position + header.TotalSize <= records.Length)
                {
                    next = header.LastOffset + 1;
                    position += (int)header.TotalSize;
                }
                total += position;
                offsets[partition.PartitionIndex] = next >= partition.HighWatermark ? 0 : next;
            }
            fetches++;
        }
        double seconds = watch.Elapsed.TotalSeconds;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"read {total / (double)(1L << 30):F2} GiB in {fetches} fetches, {seconds:F2} s: {total / (double)(1L << 30) / seconds:F2} GiB/s"));
        return 0;
    }

    private static int Encode(FetchRequest fetch, int correlationId, byte[] buffer)
    {
        var header = new RequestHeader { RequestApiKey = (short)ApiKey.Fetch, RequestApiVersion = 12, CorrelationId = correlationId, ClientId = "fetchperf" };
        short headerVersion = ApiMessages.RequestHeaderVersion(ApiKey.Fetch, 12);
        int size = header.Size(headerVersion) + fetch.Size(12);
        BinaryPrimitives.WriteInt32BigEndian(buffer, size);
        var writer = new ProtocolWriter(buffer.AsSpan(4, size));
        header.Write(ref writer, headerVersion);
        fetch.Write(ref writer, 12);
        return 4 + size;
    }

    private static async Task<int> ReceiveFrameAsync(NetworkStream input, byte[] frame)
    {
        await input.ReadExactlyAsync(frame.AsMemory(0, 4));
        int size = BinaryPrimitives.ReadInt32BigEndian(frame);
        if (size > frame.Length)
        {
            throw new InvalidOperationException($"response of {size} bytes exceeds the buffer");
        }
        await input.ReadExactlyAsync(frame.AsMemory(0, size));
        return size;
    }

    private static string Arg(string[] args, string name, string fallback)
    {
        int i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : fallback;
    }
}
