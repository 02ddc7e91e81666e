using System.Diagnostics;
using Samsa.Broker.Cluster;
using Samsa.Broker.Tests.Infrastructure;
using Samsa.Protocol;
using Samsa.Protocol.Messages;
using Samsa.Protocol.Records;

namespace Samsa.Broker.Tests.Handlers;

/// <summary>Fetches that wait in the fetch purgatory for fetch.min.bytes, up to max.wait.ms.</summary>
public sealed class DelayedFetchTests : IAsyncLifetime
{
    private const short FetchVersion = 11;

    // The broker's clock stands still unless a test moves it: a waiting fetch cannot expire by accident.
    private readonly ManualTimeProvider _clock = new(DateTimeOffset.UtcNow);
    private TestBroker _broker = null!;
    private RawConnection _producer = null!;

    public async Task InitializeAsync()
    {
        _broker = await TestBroker.StartAsync(time: _clock);
        _producer = await _broker.ConnectAsync();
        var created = await _producer.SendAsync<CreateTopicsResponse>(Requests.CreateTopic("events", 3), 5);
        Assert.Equal(0, created.Topics[0].ErrorCode);
    }

    public async Task DisposeAsync()
    {
        _producer.Dispose();
        await _broker.DisposeAsync();
    }

    private ReplicaManager Replicas => _broker.Broker.Replicas;

    private async Task ProduceAsync(int partition, int count)
    {
        var response = await _producer.SendAsync<ProduceResponse>(Requests.Produce("events", partition, Batches.Build(count)), 7);
        Assert.Equal(0, response.Responses[0].PartitionResponses[0].ErrorCode);
    }

    private static FetchRequest Fetch(int maxWaitMs, int minBytes, params int[] partitions)
    {
        var request = new FetchRequest { MaxWaitMs = maxWaitMs, MinBytes = minBytes, MaxBytes = 1024 * 1024, ReplicaId = -1 };
        var topic = new FetchRequest.FetchTopic { Topic = "events" };
        foreach (int partition in partitions)
        {
            topic.Partitions.Add(new FetchRequest.FetchPartition { Partition = partition, FetchOffset = 0, PartitionMaxBytes = 1024 * 1024 });
        }
        request.Topics.Add(topic);
        return request;
    }

    /// <summary>Sends a fetch on its own connection and waits until the broker has parked it in the purgatory.</summary>
    private async Task<Task<FetchResponse>> StartWaitingFetchAsync(RawConnection consumer, FetchRequest request, int expectedDelayed = 1)
    {
        int correlationId = consumer.NextCorrelationId();
        await consumer.SendRawAsync(RawConnection.Encode(request, FetchVersion, correlationId));
        var response = ReceiveFetchAsync(consumer, correlationId);
        await Eventually.True(() => Replicas.FetchPurgatory.Delayed >= expectedDelayed, "the fetch to wait in the purgatory");
        return response;
    }

    private static async Task<FetchResponse> ReceiveFetchAsync(RawConnection consumer, int correlationId)
    {
        var (received, body) = await consumer.ReceiveAsync(0, TimeSpan.FromSeconds(20));
        Assert.Equal(correlationId, received);
        return RawConnection.Decode<FetchResponse>(body, FetchVersion);
    }

    private static int BatchCount(FetchResponse.PartitionData data)
    {
        int count = 0;
        var span = data.Records!.Value.Span;
        while (span.Length > 0)
        {
            Assert.True(RecordBatchHeader.TryRead(span, out var header));
            span = span[(int)header.TotalSize..];
            count++;
        }
        return count;
    }

    [Fact]
    public async Task Fetch_waiting_for_min_bytes_returns_as_soon_as_a_produce_arrives()
    {
        using var consumer = await _broker.ConnectAsync();
        var pending = await StartWaitingFetchAsync(consumer, Fetch(maxWaitMs: 30_000, minBytes: 1, 2));
        Assert.False(pending.IsCompleted);

        var sinceProduce = Stopwatch.StartNew();
        await ProduceAsync(2, 4);
        var response = await pending;

        // The clock never moved, so only the append can have completed it; and it did so well before max.wait.ms.
        Assert.True(sinceProduce.ElapsedMilliseconds < 10_000, $"answered {sinceProduce.ElapsedMilliseconds} ms after the produce");
        var data = response.Responses[0].Partitions[0];
        Assert.Equal(0, data.ErrorCode);
        Assert.Equal(4, data.HighWatermark);
        Assert.Equal(1, BatchCount(data));
        Assert.Equal(0, Replicas.FetchPurgatory.Delayed);
        Assert.Equal(0, Replicas.FetchPurgatory.Watched);
    }

    [Fact]
    public async Task Fetch_with_max_wait_returns_empty_once_that_long_has_passed_and_not_before()
    {
        using var consumer = await _broker.ConnectAsync();
        var pending = await StartWaitingFetchAsync(consumer, Fetch(maxWaitMs: 500, minBytes: 1, 1));

        _clock.Advance(TimeSpan.FromMilliseconds(499));
        Replicas.FetchPurgatory.AdvanceClock();
        Assert.Equal(1, Replicas.FetchPurgatory.Delayed);

        _clock.Advance(TimeSpan.FromMilliseconds(1));
        Replicas.FetchPurgatory.AdvanceClock();
        var response = await pending;
        var data = response.Responses[0].Partitions[0];
        Assert.Equal(0, data.ErrorCode);
        Assert.Equal(0, data.Records!.Value.Length);
        Assert.Equal(0, Replicas.FetchPurgatory.Delayed);
    }

    [Fact]
    public async Task Fetch_with_max_wait_on_the_real_clock_returns_empty_after_about_that_long()
    {
        await using var broker = await TestBroker.StartAsync();
        using var connection = await broker.ConnectAsync();
        await connection.SendAsync<CreateTopicsResponse>(Requests.CreateTopic("events", 1), 5);

        var elapsed = Stopwatch.StartNew();
        var response = await connection.SendAsync<FetchResponse>(Fetch(maxWaitMs: 300, minBytes: 1, 0), FetchVersion);
        elapsed.Stop();

        Assert.Equal(0, response.Responses[0].Partitions[0].Records!.Value.Length);
        Assert.InRange(elapsed.ElapsedMilliseconds, 290, 10_000);
    }

    [Fact]
    public async Task Fetch_on_two_partitions_completes_when_the_second_brings_enough_bytes()
    {
        int batchBytes = Batches.Build(4).Length;
        using var consumer = await _broker.ConnectAsync();
        var pending = await StartWaitingFetchAsync(consumer, Fetch(maxWaitMs: 30_000, minBytes: batchBytes + 1, 0, 1));
        Assert.Equal(2, Replicas.FetchPurgatory.Watched);

        // One batch is not min.bytes: the append's check (done before the produce is answered) leaves it waiting.
        await ProduceAsync(0, 4);
        Assert.Equal(1, Replicas.FetchPurgatory.Delayed);
        Assert.False(pending.IsCompleted);

        await ProduceAsync(1, 4);
        var response = await pending;
        var partitions = response.Responses[0].Partitions;
        Assert.Equal([1, 1], partitions.Select(BatchCount));
        Assert.Equal(0, Replicas.FetchPurgatory.Delayed);
    }

    [Fact]
    public async Task Two_hundred_waiting_fetches_all_complete_on_one_append()
    {
        const int Consumers = 200;
        var consumers = new List<RawConnection>();
        try
        {
            var pending = new List<Task<FetchResponse>>();
            for (int i = 0; i < Consumers; i++)
            {
                var consumer = await _broker.ConnectAsync();
                consumers.Add(consumer);
                int correlationId = consumer.NextCorrelationId();
                await consumer.SendRawAsync(RawConnection.Encode(Fetch(maxWaitMs: 30_000, minBytes: 1, 0), FetchVersion, correlationId));
                pending.Add(ReceiveFetchAsync(consumer, correlationId));
            }
            await Eventually.True(() => Replicas.FetchPurgatory.Delayed == Consumers, "every fetch to wait in the purgatory");
            Assert.Equal(Consumers, Replicas.FetchPurgatory.Watched);

            await ProduceAsync(0, 3);
            // The append's check completed and unlisted them all before the produce was answered.
            Assert.Equal(0, Replicas.FetchPurgatory.Delayed);
            Assert.Equal(0, Replicas.FetchPurgatory.Watched);

            var responses = await Task.WhenAll(pending);
            Assert.All(responses, r => Assert.Equal(1, BatchCount(r.Responses[0].Partitions[0])));
        }
        finally
        {
            consumers.ForEach(c => c.Dispose());
        }
    }

    [Fact]
    public async Task Deleting_the_topic_answers_its_waiting_fetches()
    {
        using var consumer = await _broker.ConnectAsync();
        var pending = await StartWaitingFetchAsync(consumer, Fetch(maxWaitMs: 30_000, minBytes: 1, 0));

        var delete = new DeleteTopicsRequest { TimeoutMs = 1000 };
        delete.TopicNames.Add("events");
        var deleted = await _producer.SendAsync<DeleteTopicsResponse>(delete, 5);
        Assert.Equal(0, deleted.Responses[0].ErrorCode);

        var response = await pending;
        Assert.Equal((short)ErrorCode.UnknownTopicOrPartition, response.Responses[0].Partitions[0].ErrorCode);
        Assert.Equal(0, Replicas.FetchPurgatory.Delayed);
    }

    [Fact]
    public async Task Broker_stop_answers_waiting_fetches()
    {
        using var consumer = await _broker.ConnectAsync();
        var pending = await StartWaitingFetchAsync(consumer, Fetch(maxWaitMs: 30_000, minBytes: 1, 0));

        var stopping = Stopwatch.StartNew();
        var stop = _broker.Broker.StopAsync();
        var response = await pending;
        await stop;

        Assert.Equal(0, response.Responses[0].Partitions[0].ErrorCode);
        Assert.True(stopping.ElapsedMilliseconds < 10_000, $"stopped in {stopping.ElapsedMilliseconds} ms");
    }
}
