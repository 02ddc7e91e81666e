using BenchmarkDotNet.Attributes;
using Samsa.Protocol;
using Samsa.Protocol.Messages;

namespace Samsa.Benchmarks;

/// <summary>
/// Parsing and writing the body of a Produce request holding one 16 KiB batch for one partition, at the oldest
/// version the broker serves (3) and the first flexible one (9). Parsing should not copy the records.
/// </summary>
[MemoryDiagnoser]
public class ProduceRequestBenchmarks
{
    private ProduceRequest _request = new();
    private byte[] _encoded = [];
    private byte[] _output = [];

    [Params((short)3, (short)9)]
    public short Version { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _request = new ProduceRequest { TransactionalId = null, Acks = -1, TimeoutMs = 30_000 };
        var topic = new ProduceRequest.TopicProduceData { Name = "benchmark-topic" };
        topic.PartitionData.Add(new ProduceRequest.PartitionProduceData
        {
            Index = 0,
            Records = BenchmarkBatches.Build(BenchmarkBatches.SixteenKiB),
        });
        _request.TopicData.Add(topic);

        int size = _request.Size(Version);
        _encoded = new byte[size];
        _output = new byte[size];
        var writer = new ProtocolWriter(_encoded);
        _request.Write(ref writer, Version);
        if (writer.Position != size)
        {
            throw new InvalidOperationException($"Size says {size} bytes, Write wrote {writer.Position}.");
        }
    }

    [Benchmark]
    public int Read()
    {
        var request = new ProduceRequest();
        var reader = new ProtocolReader(_encoded);
        request.Read(ref reader, Version);
        return request.TopicData.Count;
    }

    [Benchmark]
    public int SizeAndWrite()
    {
        int size = _request.Size(Version);
        var writer = new ProtocolWriter(_output.AsSpan(0, size));
        _request.Write(ref writer, Version);
        return writer.Position;
    }
}
