using Samsa.Broker.Cluster;
using Samsa.Broker.Network;
using Samsa.Protocol;
using Samsa.Protocol.Messages;

namespace Samsa.Broker.Handlers;

/// <summary>
/// Fetch v4-12 for consumers: whole batches up to the high watermark (the last stable offset for
/// read_committed), within max.bytes and each partition's max bytes, and always at least one whole
/// batch for the first partition with data so that a large batch never stalls a consumer.
/// When less than fetch.min.bytes is available the request waits up to max.wait.ms for appends.
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

        long deadline = Environment.TickCount64 + request.MaxWaitMs;
        while (true)
        {
            long remaining = deadline - Environment.TickCount64;
            if (remaining <= 0)
            {
                break;
            }
            var waits = DataArrivedTasks(request);
            using var timeout = new CancellationTokenSource(TimeSpan.FromMilliseconds(remaining));
            waits.Add(Task.Delay(Timeout.Infinite, timeout.Token));
            await Task.WhenAny(waits).ConfigureAwait(false);
            context.ReturnResponseBuffers();
            response = Read(context, request, out bytes, out anyError);
            if (bytes >= request.MinBytes || anyError)
            {
                break;
            }
        }
        return response;
    }

    private List<Task> DataArrivedTasks(FetchRequest request)
    {
        var tasks = new List<Task>();
        foreach (var topic in request.Topics)
        {
            foreach (var p in topic.Partitions)
            {
                var partition = broker.Replicas.GetPartition(new TopicPartition(topic.Topic, p.Partition));
                if (partition is not null)
                {
                    tasks.Add(partition.DataArrived);
                }
            }
        }
        return tasks;
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
        long highWatermark = log.HighWatermark;
        // No transactions yet: the last stable offset is the high watermark.
        long lastStableOffset = highWatermark;
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
        data.Records = context.ResponseRecords(read.Records);
        return data.Records.Value.Length;
    }
}
