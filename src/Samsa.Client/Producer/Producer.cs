using Samsa.Protocol;

namespace Samsa.Client.Producer;

/// <summary>
/// The typed producer: serializes key and value, then hands the bytes to the <see cref="KafkaProducer"/> engine.
/// Each record costs a delivery object here (as in Confluent.Kafka); <see cref="Engine"/> produces without one.
/// Thread-safe.
/// </summary>
internal sealed class Producer<TKey, TValue>(KafkaProducer engine, ISerializer<TKey> keySerializer, ISerializer<TValue> valueSerializer)
    : IProducer<TKey, TValue>
{
    public string Name => engine.Name;

    public KafkaProducer Engine => engine;

    public Task<DeliveryResult<TKey, TValue>> ProduceAsync(string topic, Message<TKey, TValue> message, CancellationToken cancellationToken = default) =>
        ProduceAsync(new TopicPartition(topic, KafkaProducer.AnyPartition), message, cancellationToken);

    public Task<DeliveryResult<TKey, TValue>> ProduceAsync(TopicPartition topicPartition, Message<TKey, TValue> message, CancellationToken cancellationToken = default)
    {
        var delivery = new AwaitedDelivery(message);
        Send(topicPartition, message, delivery);
        return cancellationToken.CanBeCanceled ? delivery.Task.WaitAsync(cancellationToken) : delivery.Task;
    }

    public void Produce(string topic, Message<TKey, TValue> message, Action<DeliveryReport<TKey, TValue>>? deliveryHandler = null) =>
        Produce(new TopicPartition(topic, KafkaProducer.AnyPartition), message, deliveryHandler);

    public void Produce(TopicPartition topicPartition, Message<TKey, TValue> message, Action<DeliveryReport<TKey, TValue>>? deliveryHandler = null) =>
        Send(topicPartition, message, deliveryHandler is null ? null : new CallbackDelivery(message, deliveryHandler));

    private void Send(TopicPartition topicPartition, Message<TKey, TValue> message, IDeliveryHandler? handler)
    {
        ArgumentNullException.ThrowIfNull(message);
        byte[]? key;
        byte[]? value;
        try
        {
            key = keySerializer.Serialize(message.Key, new SerializationContext(MessageComponentType.Key, topicPartition.Topic, message.Headers));
            value = valueSerializer.Serialize(message.Value, new SerializationContext(MessageComponentType.Value, topicPartition.Topic, message.Headers));
        }
        catch (Exception e) when (e is not KafkaException)
        {
            throw new KafkaException(ErrorCode.InvalidRecord, $"serializing a record for topic '{topicPartition.Topic}' failed: {e.Message}", e);
        }
        engine.Produce(new ProduceRecord(topicPartition.Topic, value)
        {
            Partition = topicPartition.Partition,
            Key = key,
            KeyIsNull = key is null,
            ValueIsNull = value is null,
            TimestampMs = message.Timestamp.Type == TimestampType.NotAvailable ? -1 : message.Timestamp.UnixTimestampMs,
            Headers = message.Headers is null ? default : message.Headers.AsSpan(),
        }, handler);
    }

    public int Flush(TimeSpan timeout)
    {
        try
        {
            engine.FlushAsync().WaitAsync(timeout).GetAwaiter().GetResult();
        }
        catch (TimeoutException)
        {
        }
        return (int)Math.Min(int.MaxValue, engine.QueuedRecords);
    }

    public void Flush(CancellationToken cancellationToken = default) => engine.FlushAsync(cancellationToken).GetAwaiter().GetResult();

    public void InitTransactions(TimeSpan timeout) => RunWithTimeout(engine.InitTransactionsAsync, timeout);

    public void BeginTransaction() => engine.BeginTransaction();

    public void SendOffsetsToTransaction(IEnumerable<TopicPartitionOffset> offsets, ConsumerGroupMetadata groupMetadata, TimeSpan timeout) =>
        RunWithTimeout(token => engine.SendOffsetsToTransactionAsync(offsets, groupMetadata, token), timeout);

    public void CommitTransaction(TimeSpan timeout) => RunWithTimeout(engine.CommitTransactionAsync, timeout);

    public void AbortTransaction(TimeSpan timeout) => RunWithTimeout(engine.AbortTransactionAsync, timeout);

    private static void RunWithTimeout(Func<CancellationToken, Task> operation, TimeSpan timeout)
    {
        using var cancel = new CancellationTokenSource(timeout);
        try
        {
            operation(cancel.Token).GetAwaiter().GetResult();
        }
        catch (OperationCanceledException) when (cancel.IsCancellationRequested)
        {
            throw new KafkaException(ErrorCode.RequestTimedOut, $"the operation did not finish within {timeout.TotalMilliseconds:0} ms");
        }
    }

    public void Dispose() => engine.Dispose();

    private static DeliveryReport<TKey, TValue> Report(Message<TKey, TValue> message, in DeliveryInfo info) => new()
    {
        Topic = info.Topic,
        Partition = info.Partition,
        Offset = info.Offset,
        Timestamp = new Timestamp(info.TimestampMs, info.TimestampType),
        Message = message,
        Status = info.IsSuccess ? PersistenceStatus.Persisted : PersistenceStatus.NotPersisted,
        Error = info.Error,
        Reason = info.Reason,
    };

    private sealed class AwaitedDelivery(Message<TKey, TValue> message) : TaskCompletionSource<DeliveryResult<TKey, TValue>>(TaskCreationOptions.RunContinuationsAsynchronously), IDeliveryHandler
    {
        public void OnDelivery(long token, in DeliveryInfo info)
        {
            var report = Report(message, info);
            if (info.IsSuccess)
            {
                TrySetResult(report);
            }
            else
            {
                TrySetException(new ProduceException<TKey, TValue>(info.Error, $"delivery to {info.Topic}-{info.Partition} failed: {info.Reason}", report));
            }
        }
    }

    private sealed class CallbackDelivery(Message<TKey, TValue> message, Action<DeliveryReport<TKey, TValue>> handler) : IDeliveryHandler
    {
        public void OnDelivery(long token, in DeliveryInfo info) => handler(Report(message, info));
    }
}
