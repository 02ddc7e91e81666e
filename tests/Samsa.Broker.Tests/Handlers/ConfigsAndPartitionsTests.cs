using Samsa.Broker.Tests.Infrastructure;
using Samsa.Protocol;
using Samsa.Protocol.Messages;

namespace Samsa.Broker.Tests.Handlers;

/// <summary>DescribeConfigs, AlterConfigs, IncrementalAlterConfigs and CreatePartitions over the wire.</summary>
public sealed class ConfigsAndPartitionsTests : IAsyncLifetime
{
    private const sbyte Topic = 2;
    private const sbyte BrokerResource = 4;

    private TestBroker _broker = null!;
    private RawConnection _connection = null!;

    public async Task InitializeAsync()
    {
        // log.retention.ms set by the operator: topics without an override report it as STATIC_BROKER_CONFIG.
        _broker = await TestBroker.StartAsync(c => c with { LogRetentionMs = 3_600_000 });
        _connection = await _broker.ConnectAsync();
    }

    public async Task DisposeAsync()
    {
        _connection.Dispose();
        await _broker.DisposeAsync();
    }

    private async Task CreateTopicAsync(string name, int partitions, params (string Key, string Value)[] configs)
    {
        var request = Requests.CreateTopic(name, partitions);
        foreach (var (key, value) in configs)
        {
            request.Topics[0].Configs.Add(new CreateTopicsRequest.CreatableTopicConfig { Name = key, Value = value });
        }
        var response = await _connection.SendAsync<CreateTopicsResponse>(request, 5);
        Assert.Equal(0, response.Topics[0].ErrorCode);
    }

    private async Task<DescribeConfigsResponse.DescribeConfigsResult> DescribeAsync(sbyte type, string name, short version = 4,
        bool synonyms = false, params string[] keys)
    {
        var request = new DescribeConfigsRequest { IncludeSynonyms = synonyms };
        request.Resources.Add(new DescribeConfigsRequest.DescribeConfigsResource
        {
            ResourceType = type,
            ResourceName = name,
            ConfigurationKeys = keys.Length == 0 ? null : keys.ToList(),
        });
        var response = await _connection.SendAsync<DescribeConfigsResponse>(request, version);
        return Assert.Single(response.Results);
    }

    private async Task<IncrementalAlterConfigsResponse.AlterConfigsResourceResponse> IncrementalAlterAsync(string topic,
        bool validateOnly, params (string Key, sbyte Op, string? Value)[] ops)
    {
        var request = new IncrementalAlterConfigsRequest { ValidateOnly = validateOnly };
        var resource = new IncrementalAlterConfigsRequest.AlterConfigsResource { ResourceType = Topic, ResourceName = topic };
        foreach (var (key, op, value) in ops)
        {
            resource.Configs.Add(new IncrementalAlterConfigsRequest.AlterableConfig { Name = key, ConfigOperation = op, Value = value });
        }
        request.Resources.Add(resource);
        var response = await _connection.SendAsync<IncrementalAlterConfigsResponse>(request, 1);
        return Assert.Single(response.Responses);
    }

    private async Task<CreatePartitionsResponse.CreatePartitionsTopicResult> CreatePartitionsAsync(string topic, int count,
        bool validateOnly = false, List<List<int>>? assignments = null, short version = 3)
    {
        var request = new CreatePartitionsRequest { TimeoutMs = 10_000, ValidateOnly = validateOnly };
        request.Topics.Add(new CreatePartitionsRequest.CreatePartitionsTopic
        {
            Name = topic,
            Count = count,
            Assignments = assignments?.Select(ids => new CreatePartitionsRequest.CreatePartitionsAssignment { BrokerIds = ids }).ToList(),
        });
        var response = await _connection.SendAsync<CreatePartitionsResponse>(request, version);
        return Assert.Single(response.Results);
    }

    private async Task<int> PartitionCountAsync(string topic)
    {
        var request = new MetadataRequest { AllowAutoTopicCreation = false };
        request.Topics!.Add(new MetadataRequest.MetadataRequestTopic { Name = topic });
        var response = await _connection.SendAsync<MetadataResponse>(request, 9);
        Assert.Equal(0, response.Topics[0].ErrorCode);
        return response.Topics[0].Partitions.Count;
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    public async Task Describe_topic_reports_every_key_with_its_source(short version)
    {
        await CreateTopicAsync("described", 1, ("cleanup.policy", "compact"));
        var result = await DescribeAsync(Topic, "described", version);
        Assert.Equal(0, result.ErrorCode);
        Assert.Equal(Samsa.Broker.Config.TopicConfig.Names, result.Configs.Select(c => c.Name));
        var cleanup = Assert.Single(result.Configs, c => c.Name == "cleanup.policy");
        Assert.Equal(("compact", (sbyte)1), (cleanup.Value, cleanup.ConfigSource));
        var retention = Assert.Single(result.Configs, c => c.Name == "retention.ms");
        Assert.Equal(("3600000", (sbyte)4), (retention.Value, retention.ConfigSource));
        var segment = Assert.Single(result.Configs, c => c.Name == "segment.bytes");
        Assert.Equal(("1073741824", (sbyte)5), (segment.Value, segment.ConfigSource));
        Assert.All(result.Configs, c => Assert.False(c.ReadOnly || c.IsSensitive));
        Assert.All(result.Configs, c => Assert.Empty(c.Synonyms));
    }

    [Fact]
    public async Task Describe_topic_with_synonyms_lists_the_override_then_the_broker_key()
    {
        await CreateTopicAsync("synonyms", 1, ("retention.ms", "1000"));
        var result = await DescribeAsync(Topic, "synonyms", 1, synonyms: true, "retention.ms", "segment.ms");
        Assert.Equal(["retention.ms", "segment.ms"], result.Configs.Select(c => c.Name));
        var retention = result.Configs[0];
        Assert.Equal(
            [("retention.ms", "1000", (sbyte)1), ("log.retention.ms", "3600000", (sbyte)4)],
            retention.Synonyms.Select(s => (s.Name, s.Value, s.Source)));
        var segmentMs = result.Configs[1];
        Assert.Equal([("log.roll.ms", "604800000", (sbyte)5)], segmentMs.Synonyms.Select(s => (s.Name, s.Value, s.Source)));
    }

    [Fact]
    public async Task Describe_unknown_topic_fails_only_that_resource()
    {
        await CreateTopicAsync("known", 1);
        var request = new DescribeConfigsRequest();
        request.Resources.Add(new DescribeConfigsRequest.DescribeConfigsResource { ResourceType = Topic, ResourceName = "missing" });
        request.Resources.Add(new DescribeConfigsRequest.DescribeConfigsResource { ResourceType = Topic, ResourceName = "known" });
        var response = await _connection.SendAsync<DescribeConfigsResponse>(request, 2);
        Assert.Equal((short)ErrorCode.UnknownTopicOrPartition, response.Results[0].ErrorCode);
        Assert.Equal(0, response.Results[1].ErrorCode);
        Assert.NotEmpty(response.Results[1].Configs);
    }

    [Theory]
    [InlineData("")]
    [InlineData("0")]
    public async Task Describe_broker_reports_read_only_static_configs(string name)
    {
        var result = await DescribeAsync(BrokerResource, name);
        Assert.Equal(0, result.ErrorCode);
        Assert.All(result.Configs, c => Assert.True(c.ReadOnly));
        var retention = Assert.Single(result.Configs, c => c.Name == "log.retention.ms");
        Assert.Equal(("3600000", (sbyte)4), (retention.Value, retention.ConfigSource));
        var partitions = Assert.Single(result.Configs, c => c.Name == "num.partitions");
        Assert.Equal(("1", (sbyte)5), (partitions.Value, partitions.ConfigSource));
        Assert.Equal((short)ErrorCode.InvalidRequest, (await DescribeAsync(BrokerResource, "7")).ErrorCode);
    }

    [Fact]
    public async Task Incremental_set_persists_and_applies_to_the_open_partition_log()
    {
        await CreateTopicAsync("altered", 1);
        var result = await IncrementalAlterAsync("altered", false, ("retention.ms", 0, "5000"), ("max.message.bytes", 0, "2000"));
        Assert.Equal(0, result.ErrorCode);

        var partition = _broker.Broker.Replicas.GetPartition(new TopicPartition("altered", 0))!;
        Assert.Equal(5000, partition.Log.Config.RetentionMs);
        Assert.Equal(2000, partition.TopicConfig.MaxMessageBytes);
        var produce = await _connection.SendAsync<ProduceResponse>(Requests.Produce("altered", 0, Batches.Build(300)), 9);
        Assert.Equal((short)ErrorCode.MessageTooLarge, produce.Responses[0].PartitionResponses[0].ErrorCode);

        await _broker.RestartAsync();
        _connection.Dispose();
        _connection = await _broker.ConnectAsync();
        var described = await DescribeAsync(Topic, "altered", 4, false, "retention.ms", "max.message.bytes");
        Assert.Equal([("max.message.bytes", "2000", (sbyte)1), ("retention.ms", "5000", (sbyte)1)],
            described.Configs.Select(c => (c.Name, c.Value, c.ConfigSource)));
        Assert.Equal(5000, _broker.Broker.Replicas.GetPartition(new TopicPartition("altered", 0))!.Log.Config.RetentionMs);
    }

    [Fact]
    public async Task Incremental_delete_append_and_subtract_edit_the_overrides()
    {
        await CreateTopicAsync("edited", 1, ("retention.ms", "1000"));
        Assert.Equal(0, (await IncrementalAlterAsync("edited", false, ("retention.ms", 1, null), ("cleanup.policy", 2, "compact"))).ErrorCode);
        var described = await DescribeAsync(Topic, "edited", 4, false, "retention.ms", "cleanup.policy");
        Assert.Equal([("cleanup.policy", "delete,compact", (sbyte)1), ("retention.ms", "3600000", (sbyte)4)],
            described.Configs.Select(c => (c.Name, c.Value, c.ConfigSource)));
        var log = _broker.Broker.Replicas.GetPartition(new TopicPartition("edited", 0))!.Log;
        Assert.True(log.Config.Compact && log.Config.Delete);

        Assert.Equal(0, (await IncrementalAlterAsync("edited", false, ("cleanup.policy", 3, "delete"))).ErrorCode);
        Assert.Equal("compact", (await DescribeAsync(Topic, "edited", 4, false, "cleanup.policy")).Configs[0].Value);
        Assert.False(log.Config.Delete);
    }

    [Fact]
    public async Task Incremental_rejections_name_the_key_and_change_nothing()
    {
        await CreateTopicAsync("strict", 1);
        var badValue = await IncrementalAlterAsync("strict", false, ("retention.ms", 0, "soon"), ("segment.ms", 0, "1000"));
        Assert.Equal((short)ErrorCode.InvalidConfig, badValue.ErrorCode);
        Assert.Contains("retention.ms", badValue.ErrorMessage);
        var unknown = await IncrementalAlterAsync("strict", false, ("no.such.key", 0, "1"));
        Assert.Equal((short)ErrorCode.InvalidConfig, unknown.ErrorCode);
        Assert.Contains("no.such.key", unknown.ErrorMessage);
        var appendToNumber = await IncrementalAlterAsync("strict", false, ("retention.ms", 2, "1"));
        Assert.Equal((short)ErrorCode.InvalidConfig, appendToNumber.ErrorCode);
        var lagConflict = await IncrementalAlterAsync("strict", false, ("min.compaction.lag.ms", 0, "10"), ("max.compaction.lag.ms", 0, "5"));
        Assert.Equal((short)ErrorCode.InvalidConfig, lagConflict.ErrorCode);
        Assert.Equal((short)ErrorCode.UnknownTopicOrPartition, (await IncrementalAlterAsync("missing", false, ("retention.ms", 0, "1"))).ErrorCode);

        var validateOnly = await IncrementalAlterAsync("strict", true, ("segment.ms", 0, "1000"));
        Assert.Equal(0, validateOnly.ErrorCode);
        var described = await DescribeAsync(Topic, "strict");
        Assert.All(described.Configs, c => Assert.NotEqual(1, c.ConfigSource));
    }

    [Fact]
    public async Task Alter_configs_replaces_the_whole_override_set()
    {
        await CreateTopicAsync("replaced", 1, ("retention.ms", "1000"), ("segment.ms", "2000"));
        var request = new AlterConfigsRequest();
        var resource = new AlterConfigsRequest.AlterConfigsResource { ResourceType = Topic, ResourceName = "replaced" };
        resource.Configs.Add(new AlterConfigsRequest.AlterableConfig { Name = "segment.ms", Value = "3000" });
        request.Resources.Add(resource);
        var response = await _connection.SendAsync<AlterConfigsResponse>(request, 2);
        Assert.Equal(0, Assert.Single(response.Responses).ErrorCode);

        var overrides = (await DescribeAsync(Topic, "replaced")).Configs.Where(c => c.ConfigSource == 1).Select(c => (c.Name, c.Value));
        Assert.Equal([("segment.ms", "3000")], overrides);
        var log = _broker.Broker.Replicas.GetPartition(new TopicPartition("replaced", 0))!.Log;
        Assert.Equal((3000, 3_600_000), (log.Config.SegmentMs, log.Config.RetentionMs));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    public async Task Alter_configs_rejects_invalid_values_and_broker_resources(short version)
    {
        await CreateTopicAsync("guarded", 1);
        var request = new AlterConfigsRequest();
        var topic = new AlterConfigsRequest.AlterConfigsResource { ResourceType = Topic, ResourceName = "guarded" };
        topic.Configs.Add(new AlterConfigsRequest.AlterableConfig { Name = "segment.bytes", Value = "10" });
        request.Resources.Add(topic);
        request.Resources.Add(new AlterConfigsRequest.AlterConfigsResource { ResourceType = BrokerResource, ResourceName = "0" });
        var response = await _connection.SendAsync<AlterConfigsResponse>(request, version);
        Assert.Equal((short)ErrorCode.InvalidConfig, response.Responses[0].ErrorCode);
        Assert.Contains("segment.bytes", response.Responses[0].ErrorMessage);
        Assert.Equal((short)ErrorCode.InvalidRequest, response.Responses[1].ErrorCode);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(3)]
    public async Task Create_partitions_grows_the_topic_and_survives_a_restart(short version)
    {
        await CreateTopicAsync("growing", 2, ("retention.ms", "7000"));
        var result = await CreatePartitionsAsync("growing", 5, version: version);
        Assert.Equal(0, result.ErrorCode);
        Assert.Equal(5, await PartitionCountAsync("growing"));
        var produce = await _connection.SendAsync<ProduceResponse>(Requests.Produce("growing", 4, Batches.Build(3)), 9);
        Assert.Equal(0, produce.Responses[0].PartitionResponses[0].ErrorCode);
        Assert.Equal(7000, _broker.Broker.Replicas.GetPartition(new TopicPartition("growing", 4))!.Log.Config.RetentionMs);

        await _broker.RestartAsync();
        _connection.Dispose();
        _connection = await _broker.ConnectAsync();
        Assert.Equal(5, await PartitionCountAsync("growing"));
        var list = new ListOffsetsRequest { ReplicaId = -1 };
        var listTopic = new ListOffsetsRequest.ListOffsetsTopic { Name = "growing" };
        listTopic.Partitions.Add(new ListOffsetsRequest.ListOffsetsPartition { PartitionIndex = 4, Timestamp = -1 });
        list.Topics.Add(listTopic);
        var offsets = await _connection.SendAsync<ListOffsetsResponse>(list, 7);
        Assert.Equal(3, offsets.Topics[0].Partitions[0].Offset);
    }

    [Fact]
    public async Task Create_partitions_rejects_shrinking_foreign_replicas_and_validate_only()
    {
        await CreateTopicAsync("fixed", 2);
        Assert.Equal((short)ErrorCode.InvalidPartitions, (await CreatePartitionsAsync("fixed", 2)).ErrorCode);
        Assert.Equal((short)ErrorCode.InvalidPartitions, (await CreatePartitionsAsync("fixed", 1)).ErrorCode);
        Assert.Equal((short)ErrorCode.UnknownTopicOrPartition, (await CreatePartitionsAsync("missing", 3)).ErrorCode);
        Assert.Equal((short)ErrorCode.InvalidReplicaAssignment, (await CreatePartitionsAsync("fixed", 3, assignments: [[1]])).ErrorCode);
        Assert.Equal((short)ErrorCode.InvalidReplicaAssignment, (await CreatePartitionsAsync("fixed", 4, assignments: [[0]])).ErrorCode);
        Assert.Equal(0, (await CreatePartitionsAsync("fixed", 4, validateOnly: true)).ErrorCode);
        Assert.Equal(2, await PartitionCountAsync("fixed"));
        Assert.Null(_broker.Broker.Replicas.GetPartition(new TopicPartition("fixed", 2)));

        Assert.Equal(0, (await CreatePartitionsAsync("fixed", 4, assignments: [[0], [0]])).ErrorCode);
        Assert.Equal(4, await PartitionCountAsync("fixed"));
    }

    [Fact]
    public async Task Api_versions_advertises_the_admin_apis()
    {
        var response = await _connection.SendAsync<ApiVersionsResponse>(new ApiVersionsRequest { ClientSoftwareName = "t", ClientSoftwareVersion = "1" }, 3);
        (short, short) Range(ApiKey key)
        {
            var api = Assert.Single(response.ApiKeys, k => k.ApiKey == (short)key);
            return (api.MinVersion, api.MaxVersion);
        }
        Assert.Equal((1, 4), Range(ApiKey.DescribeConfigs));
        Assert.Equal((0, 2), Range(ApiKey.AlterConfigs));
        Assert.Equal((0, 3), Range(ApiKey.CreatePartitions));
        Assert.Equal((0, 1), Range(ApiKey.IncrementalAlterConfigs));
    }
}
