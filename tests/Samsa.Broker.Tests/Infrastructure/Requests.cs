using Samsa.Protocol.Messages;

namespace Samsa.Broker.Tests.Infrastructure;

/// <summary>Typed requests the tests send often.</summary>
internal static class Requests
{
    public static ProduceRequest Produce(string topic, int partition, byte[] batch, short acks = -1)
    {
        var request = new ProduceRequest { Acks = acks, TimeoutMs = 10_000 };
        var topicData = new ProduceRequest.TopicProduceData { Name = topic };
        topicData.PartitionData.Add(new ProduceRequest.PartitionProduceData { Index = partition, Records = batch });
        request.TopicData.Add(topicData);
        return request;
    }

    public static FetchRequest Fetch(string topic, int partition, long offset, int maxBytes = 1024 * 1024, int maxWaitMs = 0, int minBytes = 0)
    {
        var request = new FetchRequest { MaxWaitMs = maxWaitMs, MinBytes = minBytes, MaxBytes = maxBytes, ReplicaId = -1 };
        var fetchTopic = new FetchRequest.FetchTopic { Topic = topic };
        fetchTopic.Partitions.Add(new FetchRequest.FetchPartition { Partition = partition, FetchOffset = offset, PartitionMaxBytes = maxBytes });
        request.Topics.Add(fetchTopic);
        return request;
    }

    public static CreateTopicsRequest CreateTopic(string name, int partitions)
    {
        var request = new CreateTopicsRequest { TimeoutMs = 10_000 };
        request.Topics.Add(new CreateTopicsRequest.CreatableTopic { Name = name, NumPartitions = partitions, ReplicationFactor = 1 });
        return request;
    }
}
