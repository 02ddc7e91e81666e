using Samsa.Interop.Tests.Model;

namespace Samsa.Interop.Tests.Clients;

/// <summary>
/// A real Kafka client, driven as a separate process. Each operation starts
/// the client afresh, so no client state survives between steps (useful
/// across broker restarts).
/// </summary>
public abstract class InteropClient
{
    private readonly Lazy<Task> _installed;

    protected InteropClient() => _installed = new Lazy<Task>(CheckInstalledAsync);

    /// <summary>Name used in test case names.</summary>
    public abstract string Name { get; }

    /// <summary>Whether the client has an admin API that creates topics.</summary>
    public abstract bool HasAdmin { get; }

    /// <summary>Whether the client can read a topic's partitions from the beginning without committing offsets.</summary>
    public abstract bool CanConsume { get; }

    /// <summary>
    /// Whether produced records carry the input's timestamps and per-record
    /// headers. kcat takes neither from its input: headers come from -H per
    /// invocation and timestamps from the clock.
    /// </summary>
    public virtual bool KeepsInputTimestampsAndHeaders => true;

    /// <summary>
    /// Whether the client can send a header whose value is null. kafka-python
    /// 2.0.2 asserts header values are bytes and KafkaJS 2.2.4 fails sizing a
    /// null header, so only the librdkafka clients send them.
    /// </summary>
    public virtual bool SendsNullHeaderValues => true;

    /// <summary>Fails with installation instructions when the client is missing.</summary>
    public Task EnsureInstalledAsync() => _installed.Value;

    public abstract Task CreateTopicAsync(string bootstrap, string topic, int partitions);

    public abstract Task<TopicMetadata> GetMetadataAsync(string bootstrap, string topic);

    /// <summary>Sends every record to its partition with acks=all; one report per record, in input order.</summary>
    public abstract Task<IReadOnlyList<DeliveryReport>> ProduceAsync(string bootstrap, string topic, IReadOnlyList<TestRecord> records);

    /// <summary>Reads partitions 0..partitions-1 from the beginning until the end and at least <paramref name="count"/> records.</summary>
    public abstract Task<ConsumeResult> ConsumeAsync(string bootstrap, string topic, int partitions, int count);

    public override string ToString() => Name;

    protected abstract Task CheckInstalledAsync();
}
