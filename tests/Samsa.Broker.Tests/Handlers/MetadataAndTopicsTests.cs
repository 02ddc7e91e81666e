using Samsa.Broker.Tests.Infrastructure;
using Samsa.Protocol;
using Samsa.Protocol.Messages;

namespace Samsa.Broker.Tests.Handlers;

public sealed class MetadataAndTopicsTests : IAsyncLifetime
{
    private TestBroker _broker = null!;
    private RawConnection _connection = null!;

    public async Task InitializeAsync()
    {
        _broker = await TestBroker.StartAsync(c => c with { NumPartitions = 2 });
        _connection = await _broker.ConnectAsync();
    }

    public async Task DisposeAsync()
    {
        _connection.Dispose();
        await _broker.DisposeAsync();
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public async Task Api_versions_lists_the_advertised_ranges(short version)
    {
        var response = await _connection.SendAsync<ApiVersionsResponse>(new ApiVersionsRequest { ClientSoftwareName = "t", ClientSoftwareVersion = "1" }, version);
        Assert.Equal(0, response.ErrorCode);
        var produce = Assert.Single(response.ApiKeys, k => k.ApiKey == (short)ApiKey.Produce);
        Assert.Equal(0, produce.MinVersion);
        Assert.Equal(9, produce.MaxVersion);
        var fetch = Assert.Single(response.ApiKeys, k => k.ApiKey == (short)ApiKey.Fetch);
        Assert.Equal((4, 12), (fetch.MinVersion, fetch.MaxVersion));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(4)]
    [InlineData(9)]
    [InlineData(12)]
    public async Task Metadata_auto_creates_a_requested_topic_with_num_partitions(short version)
    {
        string name = $"auto-{version}";
        var request = new MetadataRequest();
        request.Topics!.Add(new MetadataRequest.MetadataRequestTopic { Name = name });
        var response = await _connection.SendAsync<MetadataResponse>(request, version);
        var broker = Assert.Single(response.Brokers);
        Assert.Equal(_broker.Port, broker.Port);
        Assert.Equal("127.0.0.1", broker.Host);
        var topic = Assert.Single(response.Topics);
        Assert.Equal(0, topic.ErrorCode);
        Assert.Equal(2, topic.Partitions.Count);
        Assert.All(topic.Partitions, p => Assert.Equal(0, p.LeaderId));
    }

    [Fact]
    public async Task Metadata_without_auto_create_reports_unknown_topic()
    {
        var request = new MetadataRequest { AllowAutoTopicCreation = false };
        request.Topics!.Add(new MetadataRequest.MetadataRequestTopic { Name = "missing" });
        var response = await _connection.SendAsync<MetadataResponse>(request, 9);
        Assert.Equal((short)ErrorCode.UnknownTopicOrPartition, response.Topics[0].ErrorCode);
    }

    [Fact]
    public async Task Metadata_rejects_an_illegal_topic_name()
    {
        var request = new MetadataRequest();
        request.Topics!.Add(new MetadataRequest.MetadataRequestTopic { Name = "bad/name" });
        var response = await _connection.SendAsync<MetadataResponse>(request, 9);
        Assert.Equal((short)ErrorCode.InvalidTopicException, response.Topics[0].ErrorCode);
    }

    [Fact]
    public async Task Create_topic_errors_match_kafka()
    {
        var request = new CreateTopicsRequest { TimeoutMs = 1000 };
        request.Topics.Add(new CreateTopicsRequest.CreatableTopic { Name = "ok", NumPartitions = 3, ReplicationFactor = 1 });
        request.Topics.Add(new CreateTopicsRequest.CreatableTopic { Name = "rf3", NumPartitions = 1, ReplicationFactor = 3 });
        request.Topics.Add(new CreateTopicsRequest.CreatableTopic { Name = "zero", NumPartitions = 0, ReplicationFactor = 1 });
        request.Topics.Add(new CreateTopicsRequest.CreatableTopic { Name = "bad name", NumPartitions = 1, ReplicationFactor = 1 });
        var badConfig = new CreateTopicsRequest.CreatableTopic { Name = "cfg", NumPartitions = 1, ReplicationFactor = 1 };
        badConfig.Configs.Add(new CreateTopicsRequest.CreatableTopicConfig { Name = "retention.ms", Value = "soon" });
        request.Topics.Add(badConfig);
        var response = await _connection.SendAsync<CreateTopicsResponse>(request, 7);
        var codes = response.Topics.ToDictionary(t => t.Name, t => (ErrorCode)t.ErrorCode);
        Assert.Equal(ErrorCode.None, codes["ok"]);
        Assert.Equal(ErrorCode.InvalidReplicationFactor, codes["rf3"]);
        Assert.Equal(ErrorCode.InvalidPartitions, codes["zero"]);
        Assert.Equal(ErrorCode.InvalidTopicException, codes["bad name"]);
        Assert.Equal(ErrorCode.InvalidConfig, codes["cfg"]);
        Assert.Contains("retention.ms", response.Topics.Single(t => t.Name == "cfg").ErrorMessage);

        var again = await _connection.SendAsync<CreateTopicsResponse>(Requests.CreateTopic("ok", 3), 5);
        Assert.Equal((short)ErrorCode.TopicAlreadyExists, again.Topics[0].ErrorCode);
    }

    [Fact]
    public async Task Created_topics_survive_a_restart_with_their_partition_count_and_id()
    {
        var created = await _connection.SendAsync<CreateTopicsResponse>(Requests.CreateTopic("durable", 5), 7);
        var id = created.Topics[0].TopicId;
        _connection.Dispose();
        await _broker.RestartAsync();
        _connection = await _broker.ConnectAsync();
        var request = new MetadataRequest { AllowAutoTopicCreation = false };
        request.Topics!.Add(new MetadataRequest.MetadataRequestTopic { Name = "durable" });
        var response = await _connection.SendAsync<MetadataResponse>(request, 12);
        Assert.Equal(5, response.Topics[0].Partitions.Count);
        Assert.Equal(id, response.Topics[0].TopicId);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(5)]
    [InlineData(6)]
    public async Task Delete_topic_removes_it_and_its_data(short version)
    {
        await _connection.SendAsync<CreateTopicsResponse>(Requests.CreateTopic("doomed", 2), 5);
        var request = new DeleteTopicsRequest { TimeoutMs = 1000 };
        if (version >= 6)
        {
            request.Topics.Add(new DeleteTopicsRequest.DeleteTopicState { Name = "doomed" });
            request.Topics.Add(new DeleteTopicsRequest.DeleteTopicState { Name = "never-was" });
        }
        else
        {
            request.TopicNames.Add("doomed");
            request.TopicNames.Add("never-was");
        }
        var response = await _connection.SendAsync<DeleteTopicsResponse>(request, version);
        Assert.Equal(0, response.Responses.Single(r => r.Name == "doomed").ErrorCode);
        Assert.Equal((short)ErrorCode.UnknownTopicOrPartition, response.Responses.Single(r => r.Name == "never-was").ErrorCode);
        Assert.DoesNotContain(Directory.GetDirectories(_broker.DataDir), d => Path.GetFileName(d).StartsWith("doomed-", StringComparison.Ordinal));
    }
}
