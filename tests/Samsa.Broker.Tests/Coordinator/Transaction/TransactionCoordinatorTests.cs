using Samsa.Broker.Config;
using Samsa.Broker.Coordinator.Transaction;
using Samsa.Broker.Tests.Infrastructure;
using Samsa.Protocol;
using Samsa.Protocol.Messages;
using Samsa.Protocol.Records;

namespace Samsa.Broker.Tests.Coordinator.Transaction;

/// <summary>The transaction coordinator through real sockets: producer ids, fencing, commit/abort markers, recovery, timeouts.</summary>
public sealed class TransactionCoordinatorTests
{
    private static readonly TopicPartition T0 = new("t", 0);
    private static readonly TopicPartition T1 = new("t", 1);
    private static readonly TopicPartition U0 = new("u", 0);

    private static BrokerConfig Small(BrokerConfig c) => c with
    {
        TransactionStateLogNumPartitions = 3,
        OffsetsTopicNumPartitions = 3,
    };

    private static async Task<(TestBroker Broker, TxnClient Client)> StartAsync(Func<BrokerConfig, BrokerConfig>? configure = null, TimeProvider? time = null)
    {
        var broker = await TestBroker.StartAsync(c => configure?.Invoke(Small(c)) ?? Small(c), time);
        var client = await TxnClient.ConnectAsync(broker);
        await client.CreateTopicAsync("t", 2);
        await client.CreateTopicAsync("u", 1);
        return (broker, client);
    }

    [Fact]
    public async Task Idempotent_producers_get_distinct_ids_that_are_not_reused_after_a_restart()
    {
        var (broker, client) = await StartAsync();
        await using var _ = broker;
        var before = new List<long>();
        for (int i = 0; i < 5; i++)
        {
            var (producerId, epoch) = await client.InitOkAsync(null);
            Assert.Equal(0, epoch);
            before.Add(producerId);
        }
        Assert.Equal(5, before.Distinct().Count());
        client.Dispose();

        await broker.RestartAsync();
        using var after = await TxnClient.ConnectAsync(broker);
        for (int i = 0; i < 5; i++)
        {
            var (producerId, _) = await after.InitOkAsync(null, version: 0);
            Assert.DoesNotContain(producerId, before);
            Assert.True(producerId > before.Max());
        }
    }

    [Fact]
    public async Task Concurrent_sessions_get_distinct_producer_ids_and_one_id_serializes_its_requests()
    {
        var (broker, client) = await StartAsync();
        await using var _ = broker;
        using var __ = client;
        var ids = await Task.WhenAll(Enumerable.Range(0, 8).Select(async i =>
        {
            using var own = await TxnClient.ConnectAsync(broker);
            var transactional = await own.InitOkAsync("app-" + i);
            var idempotent = await own.InitOkAsync(null);
            return new[] { transactional.ProducerId, idempotent.ProducerId };
        }));
        Assert.Equal(16, ids.SelectMany(p => p).Distinct().Count());

        // Many connections adding partitions to one transaction at once: every add lands, then one commit marks them all.
        var (producerId, epoch) = await client.InitOkAsync("shared");
        var partitions = new[] { T0, T1, U0 };
        var results = await Task.WhenAll(Enumerable.Range(0, 9).Select(async i =>
        {
            using var own = await TxnClient.ConnectAsync(broker);
            return await own.AddAsync("shared", producerId, epoch, partitions[i % 3]);
        }));
        Assert.All(results, e => Assert.Equal(ErrorCode.None, e));
        Assert.Equal(3, (await client.DescribeAsync("shared")).Topics.Sum(t => t.Partitions.Count));
        Assert.Equal(ErrorCode.None, await client.EndAsync("shared", producerId, epoch, commit: true));
        Assert.All(partitions, tp => Assert.Single(TxnClient.MarkersIn(broker.Broker, tp)));
    }

    [Fact]
    public async Task A_new_session_bumps_the_epoch_and_fences_the_old_one()
    {
        var (broker, client) = await StartAsync();
        await using var _ = broker;
        using var __ = client;
        var (producerId, epoch0) = await client.InitOkAsync("app");
        Assert.Equal(0, epoch0);
        var (sameId, epoch1) = await client.InitOkAsync("app");
        Assert.Equal(producerId, sameId);
        Assert.Equal(1, epoch1);

        // The old session is fenced: PRODUCER_FENCED where the version knows it (KIP-588), INVALID_PRODUCER_EPOCH before.
        Assert.Equal(ErrorCode.ProducerFenced, await client.AddAsync("app", producerId, epoch0, 3, T0));
        Assert.Equal(ErrorCode.ProducerFenced, await client.AddAsync("app", producerId, epoch0, 2, T0));
        Assert.Equal(ErrorCode.InvalidProducerEpoch, await client.AddAsync("app", producerId, epoch0, 1, T0));
        Assert.Equal(ErrorCode.ProducerFenced, await client.AddOffsetsAsync("app", producerId, epoch0, "g", version: 2));
        Assert.Equal(ErrorCode.InvalidProducerEpoch, await client.AddOffsetsAsync("app", producerId, epoch0, "g", version: 0));
        Assert.Equal(ErrorCode.ProducerFenced, await client.EndAsync("app", producerId, epoch0, commit: true, version: 3));
        Assert.Equal(ErrorCode.InvalidProducerEpoch, await client.EndAsync("app", producerId, epoch0, commit: true, version: 1));

        // The new session works.
        Assert.Equal(ErrorCode.None, await client.AddAsync("app", producerId, epoch1, T0));
        Assert.Equal(ErrorCode.None, await client.EndAsync("app", producerId, epoch1, commit: true));
    }

    [Fact]
    public async Task Unknown_transactional_ids_and_producer_ids_are_invalid_mappings()
    {
        var (broker, client) = await StartAsync();
        await using var _ = broker;
        using var __ = client;
        Assert.Equal(ErrorCode.InvalidProducerIdMapping, await client.AddAsync("nobody", 5, 0, T0));
        Assert.Equal(ErrorCode.InvalidProducerIdMapping, await client.EndAsync("nobody", 5, 0, commit: true));
        var (producerId, epoch) = await client.InitOkAsync("app");
        Assert.Equal(ErrorCode.InvalidProducerIdMapping, await client.AddAsync("app", producerId + 1, epoch, T0));
        Assert.Equal(ErrorCode.InvalidProducerIdMapping, await client.EndAsync("app", producerId + 1, epoch, commit: false));
        Assert.Equal(ErrorCode.InvalidRequest, (ErrorCode)(await client.InitAsync("")).ErrorCode);
    }

    [Fact]
    public async Task A_timeout_above_transaction_max_timeout_ms_is_rejected()
    {
        var (broker, client) = await StartAsync(c => c with { TransactionMaxTimeoutMs = 30_000 });
        await using var _ = broker;
        using var __ = client;
        Assert.Equal(ErrorCode.InvalidTransactionTimeout, (ErrorCode)(await client.InitAsync("app", timeoutMs: 30_001)).ErrorCode);
        Assert.Equal(ErrorCode.InvalidTransactionTimeout, (ErrorCode)(await client.InitAsync("app", timeoutMs: 0)).ErrorCode);
        Assert.Equal(ErrorCode.None, (ErrorCode)(await client.InitAsync("app", timeoutMs: 30_000)).ErrorCode);
        // An idempotent producer has no transaction, so its timeout is not checked.
        Assert.Equal(ErrorCode.None, (ErrorCode)(await client.InitAsync(null, timeoutMs: 30_001)).ErrorCode);
    }

    [Fact]
    public async Task An_unknown_partition_fails_the_whole_request_and_adds_nothing()
    {
        var (broker, client) = await StartAsync();
        await using var _ = broker;
        using var __ = client;
        var (producerId, epoch) = await client.InitOkAsync("app");
        var errors = await client.AddPartitionsAsync("app", producerId, epoch, [T0, new TopicPartition("t", 7), new TopicPartition("missing", 0)]);
        Assert.Equal(ErrorCode.OperationNotAttempted, errors[T0]);
        Assert.Equal(ErrorCode.UnknownTopicOrPartition, errors[new TopicPartition("t", 7)]);
        Assert.Equal(ErrorCode.UnknownTopicOrPartition, errors[new TopicPartition("missing", 0)]);
        var described = await client.DescribeAsync("app");
        Assert.Equal("Empty", described.TransactionState);
        Assert.Empty(described.Topics);
    }

    [Fact]
    public async Task Commit_writes_a_commit_marker_to_every_partition_of_the_transaction()
    {
        var (broker, client) = await StartAsync();
        await using var _ = broker;
        using var __ = client;
        var (producerId, epoch) = await client.InitOkAsync("app");
        Assert.Equal(ErrorCode.None, await client.AddAsync("app", producerId, epoch, T0, T1));
        Assert.Equal(ErrorCode.None, await client.AddAsync("app", producerId, epoch, T0));
        Assert.Equal(ErrorCode.None, await client.AddAsync("app", producerId, epoch, U0));
        var ongoing = await client.DescribeAsync("app");
        Assert.Equal("Ongoing", ongoing.TransactionState);
        Assert.True(ongoing.TransactionStartTimeMs > 0);
        Assert.Equal(["t-0", "t-1", "u-0"], ongoing.Topics.SelectMany(t => t.Partitions.Select(p => $"{t.Topic}-{p}")).Order());

        Assert.Equal(ErrorCode.None, await client.EndAsync("app", producerId, epoch, commit: true));

        foreach (var tp in new[] { T0, T1, U0 })
        {
            var marker = Assert.Single(TxnClient.MarkersIn(broker.Broker, tp));
            Assert.Equal(ControlRecordType.Commit, marker.Type);
            Assert.Equal(producerId, marker.ProducerId);
            Assert.Equal(epoch, marker.ProducerEpoch);
            Assert.Equal(0, marker.CoordinatorEpoch);
        }
        var committed = await client.DescribeAsync("app");
        Assert.Equal("CompleteCommit", committed.TransactionState);
        Assert.Empty(committed.Topics);

        // A retried commit is answered NONE without new markers; the opposite decision is refused.
        Assert.Equal(ErrorCode.None, await client.EndAsync("app", producerId, epoch, commit: true));
        Assert.Equal(ErrorCode.InvalidTxnState, await client.EndAsync("app", producerId, epoch, commit: false));
        Assert.Single(TxnClient.MarkersIn(broker.Broker, T0));
    }

    [Fact]
    public async Task Abort_writes_abort_markers_including_the_groups_offsets_partition()
    {
        var (broker, client) = await StartAsync();
        await using var _ = broker;
        using var __ = client;
        var (producerId, epoch) = await client.InitOkAsync("app");
        Assert.Equal(ErrorCode.None, await client.AddAsync("app", producerId, epoch, T1));
        Assert.Equal(ErrorCode.None, await client.AddOffsetsAsync("app", producerId, epoch, "readers"));
        var offsetsPartition = new TopicPartition("__consumer_offsets", GroupPartition(broker, "readers"));
        var described = await client.DescribeAsync("app");
        Assert.Contains(described.Topics, t => t.Topic == "__consumer_offsets" && t.Partitions.SequenceEqual([offsetsPartition.Partition]));

        Assert.Equal(ErrorCode.None, await client.EndAsync("app", producerId, epoch, commit: false));

        foreach (var tp in new[] { T1, offsetsPartition })
        {
            var marker = Assert.Single(TxnClient.MarkersIn(broker.Broker, tp));
            Assert.Equal(ControlRecordType.Abort, marker.Type);
            Assert.Equal(producerId, marker.ProducerId);
        }
        Assert.Empty(TxnClient.MarkersIn(broker.Broker, T0));
        Assert.Equal("CompleteAbort", (await client.DescribeAsync("app")).TransactionState);
        Assert.Equal(ErrorCode.InvalidTxnState, await client.EndAsync("app", producerId, epoch, commit: true));
    }

    private static int GroupPartition(TestBroker broker, string groupId)
    {
        int hash = 0;
        foreach (char c in groupId)
        {
            hash = unchecked((31 * hash) + c);
        }
        return Math.Abs(hash) % broker.Config.OffsetsTopicNumPartitions;
    }

    [Fact]
    public async Task A_transaction_without_partitions_ends_without_markers()
    {
        var (broker, client) = await StartAsync();
        await using var _ = broker;
        using var __ = client;
        var (producerId, epoch) = await client.InitOkAsync("app");
        Assert.Equal(ErrorCode.None, await client.EndAsync("app", producerId, epoch, commit: true));
        Assert.Equal("CompleteCommit", (await client.DescribeAsync("app")).TransactionState);
        Assert.Empty(TxnClient.MarkersIn(broker.Broker, T0));
    }

    [Fact]
    public async Task A_partition_whose_topic_was_deleted_needs_no_marker()
    {
        var (broker, client) = await StartAsync();
        await using var _ = broker;
        using var __ = client;
        var (producerId, epoch) = await client.InitOkAsync("app");
        Assert.Equal(ErrorCode.None, await client.AddAsync("app", producerId, epoch, T0, U0));
        var deleted = await client.Connection.SendAsync<DeleteTopicsResponse>(new DeleteTopicsRequest { TopicNames = ["u"], TimeoutMs = 1000 }, 5);
        Assert.Equal(0, deleted.Responses[0].ErrorCode);

        Assert.Equal(ErrorCode.None, await client.EndAsync("app", producerId, epoch, commit: true));
        Assert.Equal("CompleteCommit", (await client.DescribeAsync("app")).TransactionState);
        Assert.Equal(ControlRecordType.Commit, Assert.Single(TxnClient.MarkersIn(broker.Broker, T0)).Type);
    }

    [Fact]
    public async Task InitProducerId_during_an_open_transaction_aborts_it_and_asks_the_client_to_retry()
    {
        var (broker, client) = await StartAsync();
        await using var _ = broker;
        using var __ = client;
        var (producerId, epoch) = await client.InitOkAsync("app");
        Assert.Equal(ErrorCode.None, await client.AddAsync("app", producerId, epoch, T0));

        Assert.Equal(ErrorCode.ConcurrentTransactions, (ErrorCode)(await client.InitAsync("app")).ErrorCode);
        var marker = Assert.Single(TxnClient.MarkersIn(broker.Broker, T0));
        Assert.Equal(ControlRecordType.Abort, marker.Type);
        Assert.Equal(epoch + 1, marker.ProducerEpoch);

        var (retriedId, retriedEpoch) = await client.InitOkAsync("app");
        Assert.Equal(producerId, retriedId);
        Assert.Equal(epoch + 2, retriedEpoch);
        Assert.Equal(ErrorCode.ProducerFenced, await client.EndAsync("app", producerId, epoch, commit: true));
    }

    [Fact]
    public async Task InitProducerId_v3_bumps_the_epoch_of_the_named_session_and_fences_a_stale_one()
    {
        var (broker, client) = await StartAsync();
        await using var _ = broker;
        using var __ = client;
        var (producerId, epoch) = await client.InitOkAsync("app");
        var bumped = await client.InitAsync("app", version: 4, producerId: producerId, producerEpoch: epoch);
        Assert.Equal(ErrorCode.None, (ErrorCode)bumped.ErrorCode);
        Assert.Equal((producerId, (short)(epoch + 1)), (bumped.ProducerId, bumped.ProducerEpoch));

        // The same request again (its answer was lost) gets the same bumped epoch.
        var retried = await client.InitAsync("app", version: 4, producerId: producerId, producerEpoch: epoch);
        Assert.Equal((ErrorCode.None, producerId, (short)(epoch + 1)), ((ErrorCode)retried.ErrorCode, retried.ProducerId, retried.ProducerEpoch));

        Assert.Equal(ErrorCode.ProducerFenced, (ErrorCode)(await client.InitAsync("app", version: 4, producerId: producerId + 1, producerEpoch: 0)).ErrorCode);

        // A new session (no producer id given) fences the old one for good: neither of its epochs can bump any more.
        var (_, newSessionEpoch) = await client.InitOkAsync("app");
        Assert.Equal(epoch + 2, newSessionEpoch);
        Assert.Equal(ErrorCode.ProducerFenced, (ErrorCode)(await client.InitAsync("app", version: 4, producerId: producerId, producerEpoch: (short)(epoch + 1))).ErrorCode);
        Assert.Equal(ErrorCode.ProducerFenced, (ErrorCode)(await client.InitAsync("app", version: 4, producerId: producerId, producerEpoch: epoch)).ErrorCode);
        Assert.Equal(ErrorCode.InvalidProducerEpoch, (ErrorCode)(await client.InitAsync("app", version: 3, producerId: producerId + 1, producerEpoch: 0)).ErrorCode);
    }

    [Fact]
    public async Task Transaction_state_survives_a_restart()
    {
        var (broker, client) = await StartAsync();
        await using var _ = broker;
        var (producerId, epoch) = await client.InitOkAsync("app", timeoutMs: 45_000);
        Assert.Equal(ErrorCode.None, await client.AddAsync("app", producerId, epoch, T0, U0));
        var before = await client.DescribeAsync("app");
        var (otherId, _) = await client.InitOkAsync("done");
        Assert.Equal(ErrorCode.None, await client.EndAsync("done", otherId, 0, commit: false));
        client.Dispose();

        await broker.RestartAsync();
        using var after = await TxnClient.ConnectAsync(broker);
        var described = await after.DescribeAsync("app");
        Assert.Equal(("Ongoing", producerId, epoch, 45_000, before.TransactionStartTimeMs),
            (described.TransactionState, described.ProducerId, described.ProducerEpoch, described.TransactionTimeoutMs, described.TransactionStartTimeMs));
        Assert.Equal(["t-0", "u-0"], described.Topics.SelectMany(t => t.Partitions.Select(p => $"{t.Topic}-{p}")).Order());
        Assert.Equal("CompleteAbort", (await after.DescribeAsync("done")).TransactionState);

        Assert.Equal(ErrorCode.None, await after.EndAsync("app", producerId, epoch, commit: true));
        Assert.Equal(ControlRecordType.Commit, Assert.Single(TxnClient.MarkersIn(broker.Broker, U0)).Type);
        // A new session after the restart still fences the old epoch.
        var (_, next) = await after.InitOkAsync("app");
        Assert.Equal(epoch + 1, next);
    }

    [Fact]
    public async Task A_transaction_left_in_PrepareCommit_is_completed_at_start_up()
    {
        var (broker, client) = await StartAsync();
        await using var _ = broker;
        var (producerId, epoch) = await client.InitOkAsync("app");
        Assert.Equal(ErrorCode.None, await client.AddAsync("app", producerId, epoch, T0, T1));
        client.Dispose();

        // As if the broker died right after the prepare record: write it, and stop before any marker.
        var state = broker.Broker.Transactions.StateManager;
        Assert.True(state.TryGet("app", out var metadata));
        await metadata.Gate.WaitAsync();
        try
        {
            var prepared = metadata.Current! with { State = TransactionState.PrepareCommit };
            Assert.Equal(ErrorCode.None, await state.WriteAsync(metadata, prepared));
        }
        finally
        {
            metadata.Gate.Release();
        }
        Assert.Empty(TxnClient.MarkersIn(broker.Broker, T0));

        await broker.RestartAsync();

        foreach (var tp in new[] { T0, T1 })
        {
            var marker = Assert.Single(TxnClient.MarkersIn(broker.Broker, tp));
            Assert.Equal((ControlRecordType.Commit, producerId, epoch), (marker.Type, marker.ProducerId, marker.ProducerEpoch));
        }
        using var after = await TxnClient.ConnectAsync(broker);
        var described = await after.DescribeAsync("app");
        Assert.Equal("CompleteCommit", described.TransactionState);
        Assert.Empty(described.Topics);
    }

    [Fact]
    public async Task A_transaction_open_longer_than_its_timeout_is_aborted_and_its_producer_fenced()
    {
        var clock = new ManualTimeProvider(DateTimeOffset.UtcNow);
        var (broker, client) = await StartAsync(c => c with { TransactionAbortTimedOutTransactionCleanupIntervalMs = 1000 }, clock);
        await using var _ = broker;
        using var __ = client;
        var (producerId, epoch) = await client.InitOkAsync("slow", timeoutMs: 10_000);
        Assert.Equal(ErrorCode.None, await client.AddAsync("slow", producerId, epoch, T0));

        clock.Advance(TimeSpan.FromSeconds(5));
        await Task.Delay(300);
        Assert.Equal("Ongoing", (await client.DescribeAsync("slow")).TransactionState);

        clock.Advance(TimeSpan.FromSeconds(6));
        await Eventually.True(() => client.DescribeAsync("slow").Result.TransactionState == "CompleteAbort", "the timed-out transaction to be aborted");

        var described = await client.DescribeAsync("slow");
        Assert.Equal((producerId, (short)(epoch + 1)), (described.ProducerId, described.ProducerEpoch));
        var marker = Assert.Single(TxnClient.MarkersIn(broker.Broker, T0));
        Assert.Equal((ControlRecordType.Abort, (short)(epoch + 1)), (marker.Type, marker.ProducerEpoch));
        Assert.Equal(ErrorCode.ProducerFenced, await client.EndAsync("slow", producerId, epoch, commit: true));
        Assert.Equal(ErrorCode.ProducerFenced, await client.AddAsync("slow", producerId, epoch, T1));
    }

    [Fact]
    public async Task Transactional_ids_idle_longer_than_the_expiration_are_removed()
    {
        var clock = new ManualTimeProvider(DateTimeOffset.UtcNow);
        var (broker, client) = await StartAsync(c => c with
        {
            TransactionalIdExpirationMs = 60_000,
            TransactionRemoveExpiredTransactionCleanupIntervalMs = 1000,
        }, clock);
        await using var _ = broker;
        var (producerId, epoch) = await client.InitOkAsync("idle");
        Assert.Equal(ErrorCode.None, await client.EndAsync("idle", producerId, epoch, commit: true));
        var (openId, openEpoch) = await client.InitOkAsync("open", timeoutMs: 900_000);
        Assert.Equal(ErrorCode.None, await client.AddAsync("open", openId, openEpoch, T0));

        clock.Advance(TimeSpan.FromSeconds(61));
        await Eventually.True(() => client.DescribeAsync("idle").Result.ErrorCode == (short)ErrorCode.TransactionalIdNotFound, "the idle id to expire");
        Assert.Equal("Ongoing", (await client.DescribeAsync("open")).TransactionState);
        client.Dispose();

        await broker.RestartAsync();
        using var after = await TxnClient.ConnectAsync(broker);
        Assert.Equal(ErrorCode.TransactionalIdNotFound, (ErrorCode)(await after.DescribeAsync("idle")).ErrorCode);
        // The id starts over with a new producer id.
        var (newId, newEpoch) = await after.InitOkAsync("idle");
        Assert.NotEqual(producerId, newId);
        Assert.Equal(0, newEpoch);
    }

    [Fact]
    public async Task Describe_and_list_report_state_producer_and_partitions()
    {
        var (broker, client) = await StartAsync();
        await using var _ = broker;
        using var __ = client;
        var (a, aEpoch) = await client.InitOkAsync("a", timeoutMs: 20_000);
        var (b, bEpoch) = await client.InitOkAsync("b");
        Assert.Equal(ErrorCode.None, await client.AddAsync("a", a, aEpoch, T1));
        Assert.Equal(ErrorCode.None, await client.EndAsync("b", b, bEpoch, commit: true));

        var described = await client.DescribeAsync("a");
        Assert.Equal(0, described.ErrorCode);
        Assert.Equal(("Ongoing", a, aEpoch, 20_000), (described.TransactionState, described.ProducerId, described.ProducerEpoch, described.TransactionTimeoutMs));
        Assert.Equal("t", Assert.Single(described.Topics).Topic);
        Assert.Equal([1], described.Topics[0].Partitions);
        var unknown = await client.DescribeAsync("nope");
        Assert.Equal(ErrorCode.TransactionalIdNotFound, (ErrorCode)unknown.ErrorCode);

        var all = await client.ListAsync();
        Assert.Equal(0, all.ErrorCode);
        Assert.Equal(["a:Ongoing", "b:CompleteCommit"], all.TransactionStates.Select(t => $"{t.TransactionalId}:{t.TransactionState}").Order());
        var ongoing = await client.ListAsync(states: ["Ongoing", "Bogus"]);
        Assert.Equal("a", Assert.Single(ongoing.TransactionStates).TransactionalId);
        Assert.Equal(["Bogus"], ongoing.UnknownStateFilters);
        var byProducer = await client.ListAsync(producerIds: [b]);
        Assert.Equal("b", Assert.Single(byProducer.TransactionStates).TransactionalId);
    }

    [Fact]
    public async Task FindCoordinator_for_a_transactional_id_answers_this_broker_and_creates_the_state_topic()
    {
        var (broker, client) = await StartAsync();
        await using var _ = broker;
        using var __ = client;
        var response = await client.Connection.SendAsync<FindCoordinatorResponse>(
            new FindCoordinatorRequest { KeyType = 1, CoordinatorKeys = ["app"] }, 4);
        var coordinator = Assert.Single(response.Coordinators);
        Assert.Equal((0, broker.Config.BrokerId, broker.Port), (coordinator.ErrorCode, coordinator.NodeId, coordinator.Port));
        var old = await client.Connection.SendAsync<FindCoordinatorResponse>(new FindCoordinatorRequest { KeyType = 1, Key = "app" }, 1);
        Assert.Equal((0, broker.Port), (old.ErrorCode, old.Port));
        Assert.True(broker.Broker.Replicas.GetPartition(new TopicPartition(TransactionStateManager.TransactionStateTopic, 2)) is not null);
    }
}
