using Samsa.Broker;
using Samsa.Broker.Config;
using Samsa.Cli.Commands;
using Samsa.Client;
using Samsa.Client.Admin;
using Samsa.Client.Network;
using Samsa.Protocol;
using Samsa.Protocol.Messages;
using Samsa.Protocol.Records;

namespace Samsa.Cli.Tests;

public sealed class ConsumerGroupsCommandTests : IAsyncLifetime
{
    private const long BaseTimestamp = 1_700_000_000_000;
    private readonly string _dataDir = Path.Combine(Path.GetTempPath(), "samsa-groups-" + Guid.NewGuid().ToString("N"));
    private SamsaBroker _broker = null!;

    public async Task InitializeAsync()
    {
        _broker = await SamsaBroker.StartAsync(new BrokerConfig
        {
            Listeners = [new ListenerEndpoint("PLAINTEXT", "127.0.0.1", 0)],
            LogDirs = [_dataDir],
            OffsetsTopicNumPartitions = 3,
        });
        await using var admin = await AdminClient.ConnectAsync(_broker.BootstrapServers);
        await admin.CreateTopicAsync("t", 2);
        await using var connection = await KafkaConnection.ConnectAsync(_broker.BootstrapServers);
        await ProduceAsync(connection, 0, 10);
        await ProduceAsync(connection, 1, 5);
        await admin.CommitGroupOffsetsAsync("cg", new Dictionary<TopicPartition, long> { [new("t", 0)] = 3, [new("t", 1)] = 5 });
    }

    public async Task DisposeAsync()
    {
        await _broker.DisposeAsync();
        Directory.Delete(_dataDir, recursive: true);
    }

    private static async Task ProduceAsync(KafkaConnection connection, int partition, int count)
    {
        using var builder = new RecordBatchBuilder();
        for (int i = 0; i < count; i++)
        {
            builder.Append(BaseTimestamp + i, [(byte)i], [(byte)i]);
        }
        var request = new ProduceRequest { Acks = -1, TimeoutMs = 5000 };
        request.TopicData.Add(new ProduceRequest.TopicProduceData
        {
            Name = "t",
            PartitionData = [new ProduceRequest.PartitionProduceData { Index = partition, Records = builder.ToArray() }],
        });
        var response = await connection.SendAsync<ProduceResponse>(request, 7);
        Assert.Equal(0, response.Responses[0].PartitionResponses[0].ErrorCode);
    }

    private async Task<(int Exit, string Output)> Groups(params string[] args)
    {
        var output = new StringWriter();
        int exit = await ConsumerGroupsCommand.RunAsync([.. args, "--bootstrap-server", _broker.BootstrapServers], output);
        return (exit, output.ToString());
    }

    private static List<string[]> Rows(string output) => output.Split('\n')
        .Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        .Where(c => c.Length >= 6 && c[0] == "cg")
        .ToList();

    [Fact]
    public async Task List_and_describe_show_committed_offset_log_end_and_lag()
    {
        var (exit, output) = await Groups("--list");
        Assert.Equal(0, exit);
        Assert.Equal("cg", output.Trim());

        (exit, output) = await Groups("--describe", "--group", "cg");
        Assert.Equal(0, exit);
        Assert.Contains("Consumer group 'cg' has no active members.", output);
        var rows = Rows(output);
        Assert.Equal(["cg", "t", "0", "3", "10", "7"], rows[0][..6]);
        Assert.Equal(["cg", "t", "1", "5", "5", "0"], rows[1][..6]);
    }

    [Theory]
    [InlineData("--to-earliest", null, 0L, 0L)]
    [InlineData("--to-latest", null, 10L, 5L)]
    [InlineData("--to-offset", "4", 4L, 4L)]
    [InlineData("--shift-by", "-2", 1L, 3L)]
    [InlineData("--to-datetime", "2023-11-14T22:13:20.006Z", 6L, 5L)]
    public async Task Reset_offsets_commits_the_new_positions_only_with_execute(string spec, string? value, long expected0, long expected1)
    {
        string[] specArgs = value is null ? [spec] : [spec, value];
        var (exit, dryRun) = await Groups(["--reset-offsets", "--group", "cg", "--topic", "t", .. specArgs]);
        Assert.Equal(0, exit);
        Assert.Contains("dry run", dryRun);
        Assert.Equal("3", Rows((await Groups("--describe", "--group", "cg")).Output)[0][3]);

        (exit, _) = await Groups(["--reset-offsets", "--group", "cg", "--topic", "t", .. specArgs, "--execute"]);
        Assert.Equal(0, exit);
        var rows = Rows((await Groups("--describe", "--group", "cg")).Output);
        Assert.Equal(expected0.ToString(), rows[0][3]);
        Assert.Equal(expected1.ToString(), rows[1][3]);
    }

    [Fact]
    public async Task Delete_removes_the_group()
    {
        var (exit, output) = await Groups("--delete", "--group", "cg");
        Assert.Equal(0, exit);
        Assert.Contains("'cg'", output);
        Assert.Equal("", (await Groups("--list")).Output.Trim());
        Assert.Equal(1, (await Groups("--delete", "--group", "cg")).Exit);
    }
}
