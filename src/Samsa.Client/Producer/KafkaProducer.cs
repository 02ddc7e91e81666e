using Samsa.Client.Config;

namespace Samsa.Client.Producer;

/// <summary>
/// The producer engine over raw bytes. Thread-safe.
/// </summary>
public sealed partial class KafkaProducer : IDisposable, IAsyncDisposable
{
    /// <summary>Lets the partitioner choose: murmur2 of the key, or the sticky partition for records without one.</summary>
    public const int AnyPartition = -1;

    private KafkaProducer()
    {
    }

    public string Name { get; private init; } = "";

    public static KafkaProducer Create(ProducerConfig config) => throw new NotImplementedException();

    /// <summary>Queues a record with a null key; blocks up to max.block.ms when buffer.memory is full.</summary>
    public void Produce(string topic, int partition, ReadOnlySpan<byte> value, IDeliveryHandler? handler = null, long token = 0) =>
        Produce(new ProduceRecord(topic, value) { Partition = partition }, handler, token);

    /// <summary>Queues a record; blocks up to max.block.ms when buffer.memory is full.</summary>
    public void Produce(in ProduceRecord record, IDeliveryHandler? handler = null, long token = 0) => throw new NotImplementedException();

    /// <summary>Records queued or in flight.</summary>
    public long QueuedRecords => throw new NotImplementedException();

    /// <summary>Sends everything queued now (ignoring linger.ms) and waits until all of it is delivered or failed.</summary>
    public Task FlushAsync(CancellationToken cancellationToken = default) => throw new NotImplementedException();

    public Task InitTransactionsAsync(CancellationToken cancellationToken = default) => throw new NotImplementedException();

    public void BeginTransaction() => throw new NotImplementedException();

    public Task SendOffsetsToTransactionAsync(IEnumerable<TopicPartitionOffset> offsets, ConsumerGroupMetadata groupMetadata, CancellationToken cancellationToken = default) =>
        throw new NotImplementedException();

    public Task CommitTransactionAsync(CancellationToken cancellationToken = default) => throw new NotImplementedException();

    public Task AbortTransactionAsync(CancellationToken cancellationToken = default) => throw new NotImplementedException();

    public void Dispose() => throw new NotImplementedException();

    public ValueTask DisposeAsync() => throw new NotImplementedException();
}
