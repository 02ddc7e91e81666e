using Samsa.Client.Config;

namespace Samsa.Client.Producer;

/// <summary>Builds a typed producer, as Confluent.Kafka's ProducerBuilder does. Not thread-safe.</summary>
public sealed class ProducerBuilder<TKey, TValue>(IEnumerable<KeyValuePair<string, string>> config)
{
    private ISerializer<TKey>? _keySerializer;
    private ISerializer<TValue>? _valueSerializer;

    public ProducerBuilder<TKey, TValue> SetKeySerializer(ISerializer<TKey> serializer)
    {
        _keySerializer = serializer;
        return this;
    }

    public ProducerBuilder<TKey, TValue> SetValueSerializer(ISerializer<TValue> serializer)
    {
        _valueSerializer = serializer;
        return this;
    }

    /// <summary>Starts the producer; throws <see cref="ArgumentException"/> naming a bad property or a missing serializer.</summary>
    public IProducer<TKey, TValue> Build()
    {
        var keySerializer = _keySerializer ?? Serializers.For<TKey>()
            ?? throw new ArgumentException($"no serializer for key type {typeof(TKey).Name}: call SetKeySerializer");
        var valueSerializer = _valueSerializer ?? Serializers.For<TValue>()
            ?? throw new ArgumentException($"no serializer for value type {typeof(TValue).Name}: call SetValueSerializer");
        var producerConfig = config as ProducerConfig ?? new ProducerConfig(config);
        return new Producer<TKey, TValue>(KafkaProducer.Create(producerConfig), keySerializer, valueSerializer);
    }
}
