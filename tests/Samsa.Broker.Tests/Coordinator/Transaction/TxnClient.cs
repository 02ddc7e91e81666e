using Samsa.Broker.Tests.Infrastructure;
using Samsa.Protocol;
using Samsa.Protocol.Messages;
using Samsa.Protocol.Records;
using Samsa.Storage;

namespace Samsa.Broker.Tests.Coordinator.Transaction;

/// <summary>Raw transaction-protocol calls for coordinator tests, and a reader of the markers in a partition's log.</summary>
internal sealed class TxnClient(RawConnection connection) : IDisposable
{
    public RawConnection Connection { get; } = connection;

    public static async Task<TxnClient> ConnectAsync(TestBroker broker) => new(await broker.ConnectAsync());

    public Task<InitProducerIdResponse> InitAsync(string? transactionalId, int timeoutMs = 60_000, short version = 4,
        long producerId = -1, short producerEpoch = -1) =>
        Connection.SendAsync<InitProducerIdResponse>(new InitProducerIdRequest
        {
            TransactionalId = transactionalId,
            TransactionTimeoutMs = timeoutMs,
            ProducerId = producerId,
            ProducerEpoch = producerEpoch,
        }, version);

    /// <summary>InitProducerId that must succeed; returns the producer id and epoch.</summary>
    public async Task<(long ProducerId, short Epoch)> InitOkAsync(string? transactionalId, int timeoutMs = 60_000, short version = 4)
    {
        var response = await InitAsync(transactionalId, timeoutMs, version);
        Assert.Equal(ErrorCode.None, (ErrorCode)response.ErrorCode);
        return (response.ProducerId, response.ProducerEpoch);
    }

    public async Task<Dictionary<TopicPartition, ErrorCode>> AddPartitionsAsync(string transactionalId, long producerId, short epoch,
        IEnumerable<TopicPartition> partitions, short version = 3)
    {
        var request = new AddPartitionsToTxnRequest { TransactionalId = transactionalId, ProducerId = producerId, ProducerEpoch = epoch };
        foreach (var topic in partitions.GroupBy(p => p.Topic))
        {
            request.Topics.Add(new AddPartitionsToTxnRequest.AddPartitionsToTxnTopic { Name = topic.Key, Partitions = topic.Select(p => p.Partition).ToList() });
        }
        var response = await Connection.SendAsync<AddPartitionsToTxnResponse>(request, version);
        var result = new Dictionary<TopicPartition, ErrorCode>();
        foreach (var topic in response.Results)
        {
            foreach (var p in topic.Results)
            {
                result[new TopicPartition(topic.Name, p.PartitionIndex)] = (ErrorCode)p.ErrorCode;
            }
        }
        return result;
    }

    /// <summary>AddPartitionsToTxn answering one error for every partition (asserted); returns it.</summary>
    public async Task<ErrorCode> AddAsync(string transactionalId, long producerId, short epoch, params TopicPartition[] partitions) =>
        await AddAsync(transactionalId, producerId, epoch, 3, partitions);

    public async Task<ErrorCode> AddAsync(string transactionalId, long producerId, short epoch, short version, params TopicPartition[] partitions)
    {
        var errors = await AddPartitionsAsync(transactionalId, producerId, epoch, partitions, version);
        Assert.Equal(partitions.Length, errors.Count);
        Assert.Single(errors.Values.Distinct());
        return errors.Values.First();
    }

    public async Task<ErrorCode> AddOffsetsAsync(string transactionalId, long producerId, short epoch, string groupId, short version = 3) =>
        (ErrorCode)(await Connection.SendAsync<AddOffsetsToTxnResponse>(new AddOffsetsToTxnRequest
        {
            TransactionalId = transactionalId,
            ProducerId = producerId,
            ProducerEpoch = epoch,
            GroupId = groupId,
        }, version)).ErrorCode;

    public async Task<ErrorCode> EndAsync(string transactionalId, long producerId, short epoch, bool commit, short version = 3) =>
        (ErrorCode)(await Connection.SendAsync<EndTxnResponse>(new EndTxnRequest
        {
            TransactionalId = transactionalId,
            ProducerId = producerId,
            ProducerEpoch = epoch,
            Committed = commit,
        }, version)).ErrorCode;

    public async Task<DescribeTransactionsResponse.DescribedTransaction> DescribeAsync(string transactionalId) =>
        (await Connection.SendAsync<DescribeTransactionsResponse>(new DescribeTransactionsRequest { TransactionalIds = [transactionalId] }, 0))
            .TransactionStates.Single();

    public Task<ListTransactionsResponse> ListAsync(IEnumerable<string>? states = null, IEnumerable<long>? producerIds = null) =>
        Connection.SendAsync<ListTransactionsResponse>(new ListTransactionsRequest
        {
            StateFilters = states?.ToList() ?? [],
            ProducerIdFilters = producerIds?.ToList() ?? [],
        }, 0);

    public async Task CreateTopicAsync(string name, int partitions)
    {
        var response = await Connection.SendAsync<CreateTopicsResponse>(Requests.CreateTopic(name, partitions), 5);
        Assert.Equal(0, response.Topics[0].ErrorCode);
    }

    public void Dispose() => Connection.Dispose();

    /// <summary>A control batch found in a partition's log.</summary>
    public readonly record struct Marker(long Offset, ControlRecordType Type, long ProducerId, short ProducerEpoch, int CoordinatorEpoch);

    /// <summary>Every end-transaction marker in the partition's log, in offset order.</summary>
    public static List<Marker> MarkersIn(SamsaBroker broker, TopicPartition partition)
    {
        var log = broker.Replicas.GetPartition(partition)!.Log;
        var markers = new List<Marker>();
        LogBatchScanner.Scan(log, log.LogStartOffset, log.LogEndOffset, (in RecordBatchHeader header, ReadOnlySpan<byte> batch) =>
        {
            if (header.IsControl)
            {
                Assert.True(EndTransactionMarker.TryRead(batch, out var type, out int coordinatorEpoch));
                markers.Add(new Marker(header.BaseOffset, type, header.ProducerId, header.ProducerEpoch, coordinatorEpoch));
            }
            return true;
        });
        return markers;
    }
}
