using Samsa.Broker;
using Samsa.Broker.Config;
using Samsa.Cli.Commands;
using Samsa.Client;
using Samsa.Client.Admin;
using Samsa.Client.Network;
using Samsa.Protocol.Messages;

namespace Samsa.Cli.Tests;

public sealed class TransactionsCommandTests : IAsyncLifetime
{
    private readonly string _dataDir = Path.Combine(Path.GetTempPath(), "samsa-txns-" + Guid.NewGuid().ToString("N"));
    private SamsaBroker _broker = null!;
    private long _appProducerId;
    private long _doneProducerId;

    public async Task InitializeAsync()
    {
        _broker = await SamsaBroker.StartAsync(new BrokerConfig
        {
            Listeners = [new ListenerEndpoint("PLAINTEXT", "127.0.0.1", 0)],
            LogDirs = [_dataDir],
            TransactionStateLogNumPartitions = 2,
        });
        await using var admin = await AdminClient.ConnectAsync(_broker.BootstrapServers);
        await admin.CreateTopicAsync("t", 2);
        await using var connection = await KafkaConnection.ConnectAsync(_broker.BootstrapServers);

        var app = await connection.SendAsync<InitProducerIdResponse>(new InitProducerIdRequest { TransactionalId = "app", TransactionTimeoutMs = 30_000 }, 4);
        Assert.Equal(0, app.ErrorCode);
        _appProducerId = app.ProducerId;
        var add = new AddPartitionsToTxnRequest { TransactionalId = "app", ProducerId = app.ProducerId, ProducerEpoch = app.ProducerEpoch };
        add.Topics.Add(new AddPartitionsToTxnRequest.AddPartitionsToTxnTopic { Name = "t", Partitions = [1, 0] });
        var added = await connection.SendAsync<AddPartitionsToTxnResponse>(add, 3);
        Assert.All(added.Results.SelectMany(r => r.Results), r => Assert.Equal(0, r.ErrorCode));

        var done = await connection.SendAsync<InitProducerIdResponse>(new InitProducerIdRequest { TransactionalId = "done", TransactionTimeoutMs = 30_000 }, 4);
        _doneProducerId = done.ProducerId;
        var end = await connection.SendAsync<EndTxnResponse>(new EndTxnRequest
        {
            TransactionalId = "done",
            ProducerId = done.ProducerId,
            ProducerEpoch = done.ProducerEpoch,
            Committed = true,
        }, 3);
        Assert.Equal(0, end.ErrorCode);
    }

    public async Task DisposeAsync()
    {
        await _broker.DisposeAsync();
        Directory.Delete(_dataDir, recursive: true);
    }

    private async Task<(int Exit, string Output)> Transactions(params string[] args)
    {
        var output = new StringWriter();
        int exit = await TransactionsCommand.RunAsync([.. args, "--bootstrap-server", _broker.BootstrapServers], output);
        return (exit, output.ToString());
    }

    private static List<string[]> Rows(string output) => output.Split('\n', StringSplitOptions.RemoveEmptyEntries)
        .Skip(1)
        .Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        .ToList();

    [Fact]
    public async Task List_shows_every_transactional_id_with_its_producer_and_state()
    {
        var (exit, output) = await Transactions("--list");
        Assert.Equal(0, exit);
        Assert.StartsWith("TransactionalId", output);
        var rows = Rows(output);
        Assert.Equal(["app", _appProducerId.ToString(), "Ongoing"], rows[0]);
        Assert.Equal(["done", _doneProducerId.ToString(), "CompleteCommit"], rows[1]);

        (exit, output) = await Transactions("--list", "--state", "CompleteCommit");
        Assert.Equal(0, exit);
        Assert.Equal("done", Assert.Single(Rows(output))[0]);
    }

    [Fact]
    public async Task Describe_shows_state_producer_epoch_timeout_start_time_and_partitions()
    {
        var (exit, output) = await Transactions("--describe", "--transactional-id", "app");
        Assert.Equal(0, exit);
        var row = Assert.Single(Rows(output));
        Assert.Equal(["app", _appProducerId.ToString(), "0", "Ongoing", "30000"], row[..5]);
        long start = long.Parse(row[5]);
        Assert.InRange(start, DateTimeOffset.UtcNow.AddMinutes(-5).ToUnixTimeMilliseconds(), DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
        Assert.Equal(DateTimeOffset.FromUnixTimeMilliseconds(start).ToString("yyyy-MM-ddTHH:mm:ss.fffZ"), row[6]);
        Assert.Equal("t-0,t-1", row[8]);

        var (doneExit, doneOutput) = await Transactions("--describe", "--transactional-id", "done");
        Assert.Equal(0, doneExit);
        Assert.Equal(["done", _doneProducerId.ToString(), "0", "CompleteCommit"], Assert.Single(Rows(doneOutput))[..4]);
    }

    [Fact]
    public async Task Describe_of_an_unknown_id_fails_and_a_missing_id_is_a_usage_error()
    {
        Assert.Equal(1, (await Transactions("--describe", "--transactional-id", "nope")).Exit);
        await Assert.ThrowsAsync<UsageException>(() => Transactions("--describe"));
        await Assert.ThrowsAsync<UsageException>(() => Transactions("--list", "--describe"));
    }
}
