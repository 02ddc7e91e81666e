using Samsa.Protocol.Records;

namespace Samsa.Client.Config;

/// <summary>A producer's settings; see <see cref="ClientConfig"/>.</summary>
public sealed class ProducerConfig : ClientConfig
{
    public ProducerConfig()
    {
    }

    public ProducerConfig(IEnumerable<KeyValuePair<string, string>> properties)
        : base(properties)
    {
    }

    public Acks? Acks
    {
        get => Get("acks") switch { null => null, "0" => Config.Acks.None, "1" => Config.Acks.Leader, _ => Config.Acks.All };
        set => SetOrRemove("acks", value switch { null => null, Config.Acks.None => "0", Config.Acks.Leader => "1", _ => "all" });
    }

    public int? LingerMs { get => GetInt("linger.ms"); set => SetOrRemove("linger.ms", value); }

    public int? BatchSize { get => GetInt("batch.size"); set => SetOrRemove("batch.size", value); }

    public long? BufferMemory { get => GetLong("buffer.memory"); set => SetOrRemove("buffer.memory", value); }

    public int? MaxBlockMs { get => GetInt("max.block.ms"); set => SetOrRemove("max.block.ms", value); }

    public CompressionType? CompressionType
    {
        get => Get("compression.type") is { } s ? Enum.Parse<CompressionType>(s, ignoreCase: true) : null;
        set => SetOrRemove("compression.type", value?.ToString().ToLowerInvariant());
    }

    public int? DeliveryTimeoutMs { get => GetInt("delivery.timeout.ms"); set => SetOrRemove("delivery.timeout.ms", value); }

    public int? Retries { get => GetInt("retries"); set => SetOrRemove("retries", value); }

    public int? MaxInFlightRequestsPerConnection
    {
        get => GetInt("max.in.flight.requests.per.connection");
        set => SetOrRemove("max.in.flight.requests.per.connection", value);
    }

    public int? MaxRequestSize { get => GetInt("max.request.size"); set => SetOrRemove("max.request.size", value); }

    public bool? EnableIdempotence { get => GetBool("enable.idempotence"); set => SetOrRemove("enable.idempotence", value); }

    public string? TransactionalId { get => Get("transactional.id"); set => SetOrRemove("transactional.id", value); }

    public int? TransactionTimeoutMs { get => GetInt("transaction.timeout.ms"); set => SetOrRemove("transaction.timeout.ms", value); }
}

/// <summary>How many replicas must have a batch before the producer hears it was written.</summary>
public enum Acks
{
    None = 0,
    Leader = 1,
    All = -1,
}
