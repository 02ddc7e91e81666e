using Samsa.Broker.Cluster;
using Samsa.Broker.Network;
using Samsa.Broker.Purgatory;
using Samsa.Protocol;
using Samsa.Protocol.Messages;
using Samsa.Storage;

namespace Samsa.Broker.Handlers;

/// <summary>
/// Fetch v4-12 for consumers: whole batches up to the high watermark (the last stable offset for
/// read_committed), within max.bytes and each partition's max bytes, and always at least one whole
/// batch for the first partition with data so that a large batch never stalls a consumer.
/// When less than fetch.min.bytes is available the request waits, up to max.wait.ms, as a <see cref="DelayedFetch"/> in
/// the fetch purgatory, which appends to its partitions re-check; once it completes the partitions are read again.
/// Records are handed to the connection as file slices (<see cref="RequestContext.ResponseRecords"/>): on plaintext
/// connections they go from the segment file to the socket with sendfile(2), otherwise they are copied.
/// Fetch sessions (KIP-227) are not kept: every response carries session id 0, so clients send full fetches.
/// </summary>
internal sealed class FetchHandler(BrokerContext broker) : IRequestHandler
{
    private const sbyte ReadCommitted = 1;

    public async ValueTask<IProtocolMessage?> HandleAsync(RequestContext context, IProtocolMessage message, CancellationToken cancellationToken)
    {
        var request = (FetchRequest)message;
        if (request.SessionEpoch > 0)
        {
            return new FetchResponse { ErrorCode = (short)ErrorCode.FetchSessionIdNotFound, SessionId = 0 };
        }
        var response = Read(context, request, out int bytes, out bool anyError);
        if (bytes >= request.MinBytes || request.MaxWaitMs <= 0 || anyError)
        {
            return response;
        }

        var delayedFetch = CreateDelayedFetch(request, response, bytes);
        broker.Replicas.FetchPurgatory.TryCompleteElseWatch(delayedFetch, delayedFetch.Keys);
        await delayedFetch.WaitAsync().ConfigureAwait(false);
        context.ReturnResponseBuffers();
        return Read(context, request, out _, out _);
    }

    /// <summary>
    /// The waiting form of a fetch whose first read found <paramref name="bytes"/> (&lt; min.bytes) and no error: per
    /// partition, the high watermark that read saw and a snapshot of its position, to measure appends against.
    /// </summary>
    private DelayedFetch CreateDelayedFetch(FetchRequest request, FetchResponse firstRead, int bytes)
    {
        int count = 0;
        foreach (var topic in request.Topics)
        {
            count += topic.Partitions.Count;
        }
        var partitions = new FetchPartitionStatus[count];
        var keys = new TopicPartition[count];
        int i = 0;
        for (int t = 0; t < request.Topics.Count; t++)
        {
            var topic = request.Topics[t];
            var topicRead = firstRead.Responses[t];
            for (int p = 0; p < topic.Partitions.Count; p++)
            {
                var fetchPartition = topic.Partitions[p];
                var key = new TopicPartition(topic.Topic, fetchPartition.Partition);
                // The first read found every partition (a missing one is an error, answered at once); one deleted since
                // is null here, which the first check treats as gone.
                var partition = broker.Replicas.GetPartition(key);
                var snapshot = partition is null ? default : partition.Log.HighWatermarkPosition();
                partitions[i] = new FetchPartitionStatus(key, partition, fetchPartition.FetchOffset, fetchPartition.PartitionMaxBytes,
                    topicRead.Partitions[p].HighWatermark, snapshot);
                keys[i] = key;
                i++;
            }
        }
        return new DelayedFetch(request.MaxWaitMs, request.MinBytes, bytes, broker.Replicas, partitions, keys, request.IsolationLevel == ReadCommitted);
    }

    private FetchResponse Read(RequestContext context, FetchRequest request, out int totalBytes, out bool anyError)
    {
        var response = new FetchResponse { SessionId = 0 };
        bool readCommitted = request.IsolationLevel == ReadCommitted;
        // The broker's fetch.max.bytes caps what one response may carry, whatever the client asks.
        int budget = Math.Min(request.MaxBytes, broker.Config.FetchMaxBytes);
        totalBytes = 0;
        anyError = false;
        foreach (var topic in request.Topics)
        {
            var topicResponse = new FetchResponse.FetchableTopicResponse { Topic = topic.Topic };
            foreach (var fetchPartition in topic.Partitions)
            {
                var data = new FetchResponse.PartitionData
                {
                    PartitionIndex = fetchPartition.Partition,
                    HighWatermark = -1,
                    LastStableOffset = -1,
                    LogStartOffset = -1,
                    AbortedTransactions = readCommitted ? new() : null,
                    Records = ReadOnlyMemory<byte>.Empty,
                };
                var partition = broker.Replicas.GetPartition(new TopicPartition(topic.Topic, fetchPartition.Partition));
                if (partition is null)
                {
                    data.ErrorCode = (short)ErrorCode.UnknownTopicOrPartition;
                    anyError = true;
                    topicResponse.Partitions.Add(data);
                    continue;
                }
                int bytes = ReadPartition(context, partition, fetchPartition, readCommitted, Math.Max(0, budget - totalBytes), totalBytes == 0, data);
                anyError |= data.ErrorCode != 0;
                totalBytes += bytes;
                topicResponse.Partitions.Add(data);
            }
            response.Responses.Add(topicResponse);
        }
        return response;
    }

    private static int ReadPartition(RequestContext context, Partition partition, FetchRequest.FetchPartition fetch, bool readCommitted,
        int budget, bool minOneBatch, FetchResponse.PartitionData data)
    {
        var log = partition.Log;
        // The last stable offset first: it never passes the high watermark read after it.
        long lastStableOffset = log.LastStableOffset;
        long highWatermark = log.HighWatermark;
        long maxOffset = readCommitted ? lastStableOffset : highWatermark;
        int maxBytes = Math.Min(fetch.PartitionMaxBytes, budget);
        var read = log.Read(fetch.FetchOffset, maxBytes, minOneBatch, maxOffset);
        data.HighWatermark = read.HighWatermark;
        data.LastStableOffset = Math.Min(lastStableOffset, read.HighWatermark);
        data.LogStartOffset = read.LogStartOffset;
        if (read.Error != ErrorCode.None)
        {
            data.ErrorCode = (short)read.Error;
            return 0;
        }
        if (read.Length == 0)
        {
            return 0;
        }
        if (readCommitted)
        {
            AddAbortedTransactions(log, fetch.FetchOffset, read.Records, lastStableOffset, data.AbortedTransactions!);
        }
        data.Records = context.ResponseRecords(read.Records);
        return data.Records.Value.Length;
    }

    [ThreadStatic]
    private static List<AbortedTxn>? t_aborted;

    /// <summary>The aborted transactions overlapping the records read, so a read_committed consumer drops them.</summary>
    private static void AddAbortedTransactions(PartitionLog log, long fetchOffset, in FileSlice records, long lastStableOffset,
        List<FetchResponse.AbortedTransaction> into)
    {
        var aborted = t_aborted ??= [];
        aborted.Clear();
        log.CollectAbortedTransactions(fetchOffset, records, lastStableOffset, aborted);
        foreach (var txn in aborted)
        {
            into.Add(new FetchResponse.AbortedTransaction { ProducerId = txn.ProducerId, FirstOffset = txn.FirstOffset });
        }
    }
}
