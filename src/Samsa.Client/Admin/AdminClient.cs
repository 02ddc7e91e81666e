using Samsa.Client.Config;
using Samsa.Client.Network;
using Samsa.Protocol;
using Samsa.Protocol.Messages;

namespace Samsa.Client.Admin;

/// <summary>
/// Cluster administration over one broker connection: topics (create, delete, describe, grow, configs), consumer
/// groups, offsets and transactions. Thread-safe through the connection.
/// </summary>
public sealed class AdminClient : IAsyncDisposable
{
    private const int DefaultRequestTimeoutMs = 30_000;

    // DescribeConfigs/AlterConfigs resource types.
    private const sbyte TopicResource = 2;
    private const sbyte BrokerResource = 4;

    private readonly KafkaConnection _connection;
    private readonly int _requestTimeoutMs;

    private AdminClient(KafkaConnection connection, int requestTimeoutMs = DefaultRequestTimeoutMs)
    {
        _connection = connection;
        _requestTimeoutMs = requestTimeoutMs;
    }

    public static async Task<AdminClient> ConnectAsync(string bootstrapServers, CancellationToken cancellationToken = default) =>
        new(await KafkaConnection.ConnectAsync(bootstrapServers, "samsa-admin", cancellationToken).ConfigureAwait(false));

    /// <summary>
    /// Connects to the first reachable broker of bootstrap.servers, with client.id, request.timeout.ms (also the
    /// timeout the broker is given for CreatePartitions) and socket.connection.setup.timeout.ms from
    /// <paramref name="config"/>. Throws <see cref="ArgumentException"/> for an invalid config and
    /// <see cref="KafkaException"/> (NETWORK_EXCEPTION) when no broker answers.
    /// </summary>
    public static async Task<AdminClient> ConnectAsync(AdminClientConfig config, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(config);
        var resolved = config.Resolve(ConfigScope.Admin);
        string clientId = resolved.String("client.id") ?? "samsa";
        int requestTimeoutMs = resolved.Int("request.timeout.ms");
        var connectTimeout = TimeSpan.FromMilliseconds(resolved.Int("socket.connection.setup.timeout.ms"));
        string servers = resolved.String("bootstrap.servers")!;
        KafkaException? lastFailure = null;
        foreach (var (host, port) in KafkaCluster.ParseBootstrap(servers))
        {
            try
            {
                var connection = await KafkaConnection.ConnectAsync(host, port, clientId, TimeSpan.FromMilliseconds(requestTimeoutMs),
                    connectTimeout, cancellationToken).ConfigureAwait(false);
                return new AdminClient(connection, requestTimeoutMs);
            }
            catch (KafkaException e) when (e.Error == ErrorCode.NetworkException)
            {
                lastFailure = e;
            }
        }
        throw new KafkaException(ErrorCode.NetworkException,
            $"no bootstrap server of '{servers}' answered: {lastFailure?.Message}");
    }

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

    // ------------------------------------------------------------ Consumer groups
    // A single broker coordinates every group, so these go to the bootstrap broker.

    public async Task<IReadOnlyList<GroupListing>> ListGroupsAsync(CancellationToken cancellationToken = default)
    {
        short version = _connection.NegotiateVersion(ApiKey.ListGroups, 0, 4);
        var response = await _connection.SendAsync<ListGroupsResponse>(new ListGroupsRequest(), version, cancellationToken).ConfigureAwait(false);
        ThrowIfError(response.ErrorCode, "ListGroups");
        return response.Groups.Select(g => new GroupListing(g.GroupId, g.ProtocolType, g.GroupState)).OrderBy(g => g.GroupId, StringComparer.Ordinal).ToList();
    }

    public async Task<GroupDescription> DescribeGroupAsync(string groupId, CancellationToken cancellationToken = default)
    {
        short version = _connection.NegotiateVersion(ApiKey.DescribeGroups, 0, 5);
        var response = await _connection.SendAsync<DescribeGroupsResponse>(new DescribeGroupsRequest { Groups = [groupId] }, version, cancellationToken).ConfigureAwait(false);
        var group = response.Groups.Single();
        ThrowIfError(group.ErrorCode, $"group '{groupId}'");
        var members = group.Members.Select(m => new GroupMemberDescription(m.MemberId, m.GroupInstanceId, m.ClientId, m.ClientHost,
            group.ProtocolType == "consumer" ? ConsumerProtocol.DecodeAssignment(m.MemberAssignment) : [])).ToList();
        return new GroupDescription(group.GroupId, group.GroupState, group.ProtocolType, group.ProtocolData, members);
    }

    /// <summary>Committed offsets of a group (every partition it has committed).</summary>
    public async Task<IReadOnlyDictionary<TopicPartition, long>> ListGroupOffsetsAsync(string groupId, CancellationToken cancellationToken = default)
    {
        short version = _connection.NegotiateVersion(ApiKey.OffsetFetch, 2, 7);
        var response = await _connection.SendAsync<OffsetFetchResponse>(new OffsetFetchRequest { GroupId = groupId, Topics = null }, version, cancellationToken).ConfigureAwait(false);
        ThrowIfError(response.ErrorCode, $"group '{groupId}'");
        var result = new Dictionary<TopicPartition, long>();
        foreach (var topic in response.Topics)
        {
            foreach (var p in topic.Partitions)
            {
                ThrowIfError(p.ErrorCode, $"{topic.Name}-{p.PartitionIndex}");
                if (p.CommittedOffset >= 0)
                {
                    result[new TopicPartition(topic.Name, p.PartitionIndex)] = p.CommittedOffset;
                }
            }
        }
        return result;
    }

    /// <summary>Commits offsets for a group with no active members (generation -1), as kafka-consumer-groups --reset-offsets does.</summary>
    public async Task CommitGroupOffsetsAsync(string groupId, IReadOnlyDictionary<TopicPartition, long> offsets, CancellationToken cancellationToken = default)
    {
        short version = _connection.NegotiateVersion(ApiKey.OffsetCommit, 2, 8);
        var request = new OffsetCommitRequest { GroupId = groupId, GenerationIdOrMemberEpoch = -1, MemberId = "" };
        foreach (var topic in offsets.GroupBy(o => o.Key.Topic))
        {
            var t = new OffsetCommitRequest.OffsetCommitRequestTopic { Name = topic.Key };
            foreach (var (tp, offset) in topic)
            {
                t.Partitions.Add(new OffsetCommitRequest.OffsetCommitRequestPartition { PartitionIndex = tp.Partition, CommittedOffset = offset, CommittedMetadata = "" });
            }
            request.Topics.Add(t);
        }
        var response = await _connection.SendAsync<OffsetCommitResponse>(request, version, cancellationToken).ConfigureAwait(false);
        foreach (var topic in response.Topics)
        {
            foreach (var p in topic.Partitions)
            {
                ThrowIfError(p.ErrorCode, $"committing {topic.Name}-{p.PartitionIndex}");
            }
        }
    }

    public async Task DeleteGroupAsync(string groupId, CancellationToken cancellationToken = default)
    {
        short version = _connection.NegotiateVersion(ApiKey.DeleteGroups, 0, 2);
        var response = await _connection.SendAsync<DeleteGroupsResponse>(new DeleteGroupsRequest { GroupsNames = [groupId] }, version, cancellationToken).ConfigureAwait(false);
        var result = response.Results.Single();
        ThrowIfError(result.ErrorCode, $"group '{groupId}'");
    }

    /// <summary>
    /// ListOffsets: -2 earliest, -1 latest, -3 the offset of the largest timestamp, or a timestamp (the first offset at
    /// or after it; -1 when none).
    /// </summary>
    public async Task<IReadOnlyDictionary<TopicPartition, long>> ListOffsetsAsync(IReadOnlyList<TopicPartition> partitions, long timestamp, CancellationToken cancellationToken = default)
    {
        // v3 unless the max-timestamp lookup (v7) is asked for: v4-v6 add only leader-epoch fields, which librdkafka
        // 2.0.2's mock cluster writes with the wrong width.
        short version = timestamp == -3 ? _connection.NegotiateVersion(ApiKey.ListOffsets, 7, 7) : _connection.NegotiateVersion(ApiKey.ListOffsets, 1, 3);
        var request = new ListOffsetsRequest { ReplicaId = -1 };
        foreach (var topic in partitions.GroupBy(p => p.Topic))
        {
            var t = new ListOffsetsRequest.ListOffsetsTopic { Name = topic.Key };
            foreach (var p in topic)
            {
                t.Partitions.Add(new ListOffsetsRequest.ListOffsetsPartition { PartitionIndex = p.Partition, Timestamp = timestamp });
            }
            request.Topics.Add(t);
        }
        var response = await _connection.SendAsync<ListOffsetsResponse>(request, version, cancellationToken).ConfigureAwait(false);
        var result = new Dictionary<TopicPartition, long>();
        foreach (var topic in response.Topics)
        {
            foreach (var p in topic.Partitions)
            {
                ThrowIfError(p.ErrorCode, $"{topic.Name}-{p.PartitionIndex}");
                result[new TopicPartition(topic.Name, p.PartitionIndex)] = p.Offset;
            }
        }
        return result;
    }

    // ------------------------------------------------------------ Transactions
    // A single broker coordinates every transactional id, so these go to the bootstrap broker.

    /// <summary>The transactional ids, optionally only those in the given states or with the given producer ids.</summary>
    public async Task<IReadOnlyList<TransactionListing>> ListTransactionsAsync(IReadOnlyList<string>? states = null,
        IReadOnlyList<long>? producerIds = null, CancellationToken cancellationToken = default)
    {
        short version = _connection.NegotiateVersion(ApiKey.ListTransactions, 0, 0);
        var request = new ListTransactionsRequest { StateFilters = states?.ToList() ?? [], ProducerIdFilters = producerIds?.ToList() ?? [] };
        var response = await _connection.SendAsync<ListTransactionsResponse>(request, version, cancellationToken).ConfigureAwait(false);
        ThrowIfError(response.ErrorCode, "ListTransactions");
        return response.TransactionStates
            .Select(t => new TransactionListing(t.TransactionalId, t.ProducerId, t.TransactionState))
            .OrderBy(t => t.TransactionalId, StringComparer.Ordinal)
            .ToList();
    }

    /// <summary>Describes transactional ids; an unknown id throws (TRANSACTIONAL_ID_NOT_FOUND).</summary>
    public async Task<IReadOnlyList<TransactionDescription>> DescribeTransactionsAsync(IReadOnlyList<string> transactionalIds,
        CancellationToken cancellationToken = default)
    {
        short version = _connection.NegotiateVersion(ApiKey.DescribeTransactions, 0, 0);
        var request = new DescribeTransactionsRequest { TransactionalIds = transactionalIds.ToList() };
        var response = await _connection.SendAsync<DescribeTransactionsResponse>(request, version, cancellationToken).ConfigureAwait(false);
        var result = new List<TransactionDescription>();
        foreach (var t in response.TransactionStates)
        {
            ThrowIfError(t.ErrorCode, $"transactional id '{t.TransactionalId}'");
            var partitions = t.Topics
                .SelectMany(topic => topic.Partitions.Select(p => new TopicPartition(topic.Topic, p)))
                .OrderBy(p => p.Topic, StringComparer.Ordinal).ThenBy(p => p.Partition)
                .ToList();
            result.Add(new TransactionDescription(t.TransactionalId, t.TransactionState, t.ProducerId, t.ProducerEpoch, t.TransactionTimeoutMs,
                t.TransactionStartTimeMs, partitions));
        }
        return result;
    }

    // ------------------------------------------------------------ Partitions and configs

    /// <summary>
    /// Grows <paramref name="topic"/> to <paramref name="totalCount"/> partitions (INVALID_PARTITIONS unless that is
    /// more than it has). With <paramref name="validateOnly"/> the broker only checks the request.
    /// </summary>
    public async Task CreatePartitionsAsync(string topic, int totalCount, bool validateOnly = false, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(topic);
        short version = _connection.NegotiateVersion(ApiKey.CreatePartitions, 0, 3);
        var request = new CreatePartitionsRequest { TimeoutMs = _requestTimeoutMs, ValidateOnly = validateOnly };
        request.Topics.Add(new CreatePartitionsRequest.CreatePartitionsTopic { Name = topic, Count = totalCount, Assignments = null });
        var response = await _connection.SendAsync<CreatePartitionsResponse>(request, version, cancellationToken).ConfigureAwait(false);
        var result = response.Results.Single(r => r.Name == topic);
        ThrowIfError(result.ErrorCode, result.ErrorMessage ?? $"topic '{topic}'");
    }

    /// <summary>Every config of <paramref name="topic"/> with its effective value and source, in the broker's order.</summary>
    public Task<IReadOnlyList<ConfigEntryResult>> DescribeConfigsAsync(string topic, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(topic);
        return DescribeConfigsAsync(TopicResource, topic, cancellationToken);
    }

    /// <summary>The configs broker <paramref name="brokerId"/> reports about itself (read-only on Samsa).</summary>
    public Task<IReadOnlyList<ConfigEntryResult>> DescribeBrokerConfigsAsync(int brokerId, CancellationToken cancellationToken = default) =>
        DescribeConfigsAsync(BrokerResource, brokerId.ToString(System.Globalization.CultureInfo.InvariantCulture), cancellationToken);

    /// <summary>
    /// Changes some of <paramref name="topic"/>'s overrides and leaves the others (IncrementalAlterConfigs). The broker
    /// validates the result as a whole: an invalid key or value throws INVALID_CONFIG and changes nothing.
    /// </summary>
    public async Task IncrementalAlterConfigsAsync(string topic, IReadOnlyList<AlterConfigOp> operations, bool validateOnly = false,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(topic);
        ArgumentNullException.ThrowIfNull(operations);
        short version = _connection.NegotiateVersion(ApiKey.IncrementalAlterConfigs, 0, 1);
        var resource = new IncrementalAlterConfigsRequest.AlterConfigsResource { ResourceType = TopicResource, ResourceName = topic };
        foreach (var operation in operations)
        {
            resource.Configs.Add(new IncrementalAlterConfigsRequest.AlterableConfig
            {
                Name = operation.Name,
                ConfigOperation = (sbyte)operation.Operation,
                Value = operation.Value,
            });
        }
        var request = new IncrementalAlterConfigsRequest { ValidateOnly = validateOnly };
        request.Resources.Add(resource);
        var response = await _connection.SendAsync<IncrementalAlterConfigsResponse>(request, version, cancellationToken).ConfigureAwait(false);
        var result = response.Responses.Single();
        ThrowIfError(result.ErrorCode, result.ErrorMessage ?? $"topic '{topic}'");
    }

    /// <summary>
    /// Replaces <paramref name="topic"/>'s whole override set with <paramref name="configs"/> (AlterConfigs): keys left
    /// out revert to the broker's values.
    /// </summary>
    public async Task AlterConfigsAsync(string topic, IReadOnlyDictionary<string, string> configs, bool validateOnly = false,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(topic);
        ArgumentNullException.ThrowIfNull(configs);
        short version = _connection.NegotiateVersion(ApiKey.AlterConfigs, 0, 2);
        var resource = new AlterConfigsRequest.AlterConfigsResource { ResourceType = TopicResource, ResourceName = topic };
        foreach (var (name, value) in configs)
        {
            resource.Configs.Add(new AlterConfigsRequest.AlterableConfig { Name = name, Value = value });
        }
        var request = new AlterConfigsRequest { ValidateOnly = validateOnly };
        request.Resources.Add(resource);
        var response = await _connection.SendAsync<AlterConfigsResponse>(request, version, cancellationToken).ConfigureAwait(false);
        var result = response.Responses.Single();
        ThrowIfError(result.ErrorCode, result.ErrorMessage ?? $"topic '{topic}'");
    }

    private async Task<IReadOnlyList<ConfigEntryResult>> DescribeConfigsAsync(sbyte resourceType, string name, CancellationToken cancellationToken)
    {
        short version = _connection.NegotiateVersion(ApiKey.DescribeConfigs, 1, 4);
        var request = new DescribeConfigsRequest();
        request.Resources.Add(new DescribeConfigsRequest.DescribeConfigsResource { ResourceType = resourceType, ResourceName = name, ConfigurationKeys = null });
        var response = await _connection.SendAsync<DescribeConfigsResponse>(request, version, cancellationToken).ConfigureAwait(false);
        var result = response.Results.Single();
        ThrowIfError(result.ErrorCode, result.ErrorMessage ?? name);
        return result.Configs
            .Select(c => new ConfigEntryResult(c.Name, c.Value,
                Enum.IsDefined((ConfigSource)c.ConfigSource) ? (ConfigSource)c.ConfigSource : ConfigSource.UnknownConfig,
                c.ReadOnly, c.IsSensitive))
            .ToList();
    }

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
