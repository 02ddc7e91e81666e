using Samsa.Protocol;
using Samsa.Protocol.Messages;

namespace Samsa.Client.Admin;

/// <summary>
/// Topic administration over one broker connection (create, delete, list, describe).
/// Thread-safe through the connection. The full admin client (configs, groups, offsets) comes later.
/// </summary>
public sealed class AdminClient : IAsyncDisposable
{
    private readonly KafkaConnection _connection;

    private AdminClient(KafkaConnection connection) => _connection = connection;

    public static async Task<AdminClient> ConnectAsync(string bootstrapServers, CancellationToken cancellationToken = default) =>
        new(await KafkaConnection.ConnectAsync(bootstrapServers, "samsa-admin", cancellationToken).ConfigureAwait(false));

    /// <summary>Creates a topic; -1 partitions or replication factor take the broker's defaults.</summary>
    public async Task<Uuid> CreateTopicAsync(string name, int partitions = -1, short replicationFactor = -1,
        IReadOnlyDictionary<string, string>? configs = null, CancellationToken cancellationToken = default)
    {
        short version = _connection.NegotiateVersion(ApiKey.CreateTopics, 2, 7);
        var topic = new CreateTopicsRequest.CreatableTopic { Name = name, NumPartitions = partitions, ReplicationFactor = replicationFactor };
        foreach (var (key, value) in configs ?? new Dictionary<string, string>())
        {
            topic.Configs.Add(new CreateTopicsRequest.CreatableTopicConfig { Name = key, Value = value });
        }
        var request = new CreateTopicsRequest { TimeoutMs = 30_000 };
        request.Topics.Add(topic);
        var response = await _connection.SendAsync<CreateTopicsResponse>(request, version, cancellationToken).ConfigureAwait(false);
        var result = response.Topics.Single(t => t.Name == name);
        ThrowIfError(result.ErrorCode, result.ErrorMessage);
        return result.TopicId;
    }

    public async Task DeleteTopicAsync(string name, CancellationToken cancellationToken = default)
    {
        short version = _connection.NegotiateVersion(ApiKey.DeleteTopics, 1, 6);
        var request = new DeleteTopicsRequest { TimeoutMs = 30_000 };
        if (version >= 6)
        {
            request.Topics.Add(new DeleteTopicsRequest.DeleteTopicState { Name = name });
        }
        else
        {
            request.TopicNames.Add(name);
        }
        var response = await _connection.SendAsync<DeleteTopicsResponse>(request, version, cancellationToken).ConfigureAwait(false);
        var result = response.Responses.Single();
        ThrowIfError(result.ErrorCode, result.ErrorMessage);
    }

    /// <summary>Describes the named topics, or every topic when <paramref name="names"/> is null. Never creates a topic.</summary>
    public async Task<IReadOnlyList<TopicDescription>> DescribeTopicsAsync(IReadOnlyList<string>? names = null, CancellationToken cancellationToken = default)
    {
        short version = _connection.NegotiateVersion(ApiKey.Metadata, 1, 12);
        var request = new MetadataRequest { AllowAutoTopicCreation = false };
        if (names is null)
        {
            request.Topics = null;
        }
        else
        {
            foreach (var name in names)
            {
                request.Topics!.Add(new MetadataRequest.MetadataRequestTopic { Name = name });
            }
        }
        var response = await _connection.SendAsync<MetadataResponse>(request, version, cancellationToken).ConfigureAwait(false);
        var result = new List<TopicDescription>();
        foreach (var topic in response.Topics)
        {
            ThrowIfError(topic.ErrorCode, $"topic '{topic.Name}'");
            var partitions = topic.Partitions
                .OrderBy(p => p.PartitionIndex)
                .Select(p => new PartitionDescription(p.PartitionIndex, p.LeaderId, p.ReplicaNodes, p.IsrNodes, (ErrorCode)p.ErrorCode))
                .ToList();
            result.Add(new TopicDescription(topic.Name ?? "", topic.TopicId, topic.IsInternal, partitions));
        }
        return result;
    }

    public async Task<IReadOnlyList<string>> ListTopicsAsync(CancellationToken cancellationToken = default) =>
        (await DescribeTopicsAsync(null, cancellationToken).ConfigureAwait(false)).Select(t => t.Name).OrderBy(n => n, StringComparer.Ordinal).ToList();

    private static void ThrowIfError(short code, string? message)
    {
        if (code != 0)
        {
            var error = (ErrorCode)code;
            throw new KafkaException(error, message is null ? error.ToString() : $"{message} ({error})");
        }
    }

    public ValueTask DisposeAsync() => _connection.DisposeAsync();
}
