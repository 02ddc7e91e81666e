using Samsa.Client.Config;
using Samsa.Protocol;

namespace Samsa.Client.Consumer;

/// <summary>
/// Builds a consumer, as Confluent.Kafka's ConsumerBuilder does: deserializers default to the built-in ones for
/// <typeparamref name="TKey"/> and <typeparamref name="TValue"/>; the rebalance handlers run on the thread calling
/// Consume. <see cref="Build"/> checks the configuration and throws <see cref="ArgumentException"/> naming a bad key.
/// Not thread-safe.
/// </summary>
public sealed class ConsumerBuilder<TKey, TValue>(ConsumerConfig config)
{
    internal ConsumerConfig Config { get; } = config ?? throw new ArgumentNullException(nameof(config));

    internal IDeserializer<TKey>? KeyDeserializer { get; private set; }

    internal IDeserializer<TValue>? ValueDeserializer { get; private set; }

    internal Func<IConsumer<TKey, TValue>, List<TopicPartition>, IEnumerable<TopicPartitionOffset>?>? AssignedHandler { get; private set; }

    internal Action<IConsumer<TKey, TValue>, List<TopicPartitionOffset>>? RevokedHandler { get; private set; }

    internal Action<IConsumer<TKey, TValue>, List<TopicPartitionOffset>>? LostHandler { get; private set; }

    internal Action<IConsumer<TKey, TValue>, KafkaException>? ErrorHandler { get; private set; }

    internal TimeProvider TimeProvider { get; private set; } = TimeProvider.System;

    public ConsumerBuilder<TKey, TValue> SetKeyDeserializer(IDeserializer<TKey> deserializer)
    {
        KeyDeserializer = deserializer ?? throw new ArgumentNullException(nameof(deserializer));
        return this;
    }

    public ConsumerBuilder<TKey, TValue> SetValueDeserializer(IDeserializer<TValue> deserializer)
    {
        ValueDeserializer = deserializer ?? throw new ArgumentNullException(nameof(deserializer));
        return this;
    }

    /// <summary>
    /// Called after a rebalance with the partitions this member gained (all of its partitions with an eager assignor,
    /// only the new ones with cooperative-sticky); the handler may return where to start in each (Offset.Stored
    /// means the committed offset, else auto.offset.reset), or null for the committed offsets.
    /// </summary>
    public ConsumerBuilder<TKey, TValue> SetPartitionsAssignedHandler(Func<IConsumer<TKey, TValue>, List<TopicPartition>, IEnumerable<TopicPartitionOffset>?> handler)
    {
        AssignedHandler = handler;
        return this;
    }

    public ConsumerBuilder<TKey, TValue> SetPartitionsAssignedHandler(Action<IConsumer<TKey, TValue>, List<TopicPartition>> handler)
    {
        ArgumentNullException.ThrowIfNull(handler);
        AssignedHandler = (consumer, partitions) =>
        {
            handler(consumer, partitions);
            return null;
        };
        return this;
    }

    /// <summary>
    /// Called before partitions are given up in a rebalance, Unsubscribe or Close (all of them with an eager assignor,
    /// only those taken away with cooperative-sticky), with each partition's position. Auto-commit has committed
    /// them already; a handler that commits itself commits in the generation that still owns them.
    /// </summary>
    public ConsumerBuilder<TKey, TValue> SetPartitionsRevokedHandler(Action<IConsumer<TKey, TValue>, List<TopicPartitionOffset>> handler)
    {
        RevokedHandler = handler;
        return this;
    }

    /// <summary>
    /// Called instead of the revoked handler when the partitions were already lost: the member was dropped from the
    /// group (ILLEGAL_GENERATION, UNKNOWN_MEMBER_ID, max.poll.interval.ms exceeded), so others may own them and
    /// committing is pointless.
    /// </summary>
    public ConsumerBuilder<TKey, TValue> SetPartitionsLostHandler(Action<IConsumer<TKey, TValue>, List<TopicPartitionOffset>> handler)
    {
        LostHandler = handler;
        return this;
    }

    /// <summary>Errors the consumer recovers from by itself (it retries); called on the thread calling Consume.</summary>
    public ConsumerBuilder<TKey, TValue> SetErrorHandler(Action<IConsumer<TKey, TValue>, KafkaException> handler)
    {
        ErrorHandler = handler;
        return this;
    }

    /// <summary>The clock for heartbeats, auto-commit and max.poll.interval.ms (tests inject their own).</summary>
    internal ConsumerBuilder<TKey, TValue> SetTimeProvider(TimeProvider timeProvider)
    {
        TimeProvider = timeProvider;
        return this;
    }

    public IConsumer<TKey, TValue> Build()
    {
        var keys = KeyDeserializer ?? Deserializers.For<TKey>()
            ?? throw new ArgumentException($"no built-in deserializer for key type {typeof(TKey).Name}: call SetKeyDeserializer");
        var values = ValueDeserializer ?? Deserializers.For<TValue>()
            ?? throw new ArgumentException($"no built-in deserializer for value type {typeof(TValue).Name}: call SetValueDeserializer");
        return new KafkaConsumer<TKey, TValue>(this, keys, values);
    }
}
