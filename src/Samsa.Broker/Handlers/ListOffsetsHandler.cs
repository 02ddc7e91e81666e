using Samsa.Broker.Cluster;
using Samsa.Broker.Network;
using Samsa.Protocol;
using Samsa.Protocol.Messages;
using Samsa.Storage;

namespace Samsa.Broker.Handlers;

/// <summary>
/// ListOffsets v1-7: earliest (-2) is the log start offset, latest (-1) the high watermark
/// (the last stable offset for read_committed), a timestamp the first record whose timestamp is at or after it, and,
/// from v7, max timestamp (-3) the record with the largest timestamp. Lookups by timestamp go through the segments'
/// time indexes (<see cref="Samsa.Storage.PartitionLog.FetchOffsetByTimestamp"/>) and, as in Kafka, answer "none"
/// (offset -1, timestamp -1) when the record found is not below the high watermark.
/// </summary>
internal sealed class ListOffsetsHandler(BrokerContext broker) : IRequestHandler
{
    private const long LatestTimestamp = -1;
    private const long EarliestTimestamp = -2;
    private const long MaxTimestamp = -3;
    private const short MaxTimestampMinVersion = 7;
    private const sbyte ReadCommitted = 1;

    public ValueTask<IProtocolMessage?> HandleAsync(RequestContext context, IProtocolMessage message, CancellationToken cancellationToken)
    {
        var request = (ListOffsetsRequest)message;
        var response = new ListOffsetsResponse();
        // v2+ carries the isolation level: read_committed sees up to the last stable offset.
        bool readCommitted = context.ApiVersion >= 2 && request.IsolationLevel == ReadCommitted;
        foreach (var topic in request.Topics)
        {
            var topicResponse = new ListOffsetsResponse.ListOffsetsTopicResponse { Name = topic.Name };
            foreach (var p in topic.Partitions)
            {
                var result = new ListOffsetsResponse.ListOffsetsPartitionResponse { PartitionIndex = p.PartitionIndex };
                var partition = broker.Replicas.GetPartition(new TopicPartition(topic.Name, p.PartitionIndex));
                if (partition is null)
                {
                    result.ErrorCode = (short)ErrorCode.UnknownTopicOrPartition;
                }
                else
                {
                    var log = partition.Log;
                    long visibleEnd = readCommitted ? log.LastStableOffset : log.HighWatermark;
                    long offset;
                    long timestamp = -1;
                    switch (p.Timestamp)
                    {
                        case EarliestTimestamp:
                            offset = log.LogStartOffset;
                            break;
                        case LatestTimestamp:
                            offset = visibleEnd;
                            break;
                        case MaxTimestamp when context.ApiVersion >= MaxTimestampMinVersion:
                            (offset, timestamp) = BelowHighWatermark(log.FetchOffsetOfMaxTimestamp(), visibleEnd);
                            break;
                        case < 0:
                            offset = -1;
                            result.ErrorCode = (short)ErrorCode.UnsupportedVersion;
                            break;
                        default:
                            (offset, timestamp) = BelowHighWatermark(log.FetchOffsetByTimestamp(p.Timestamp), visibleEnd);
                            break;
                    }
                    result.Offset = offset;
                    result.Timestamp = timestamp;
                    result.LeaderEpoch = offset >= 0 ? partition.LeaderEpoch : -1;
                    if (context.ApiVersion == 0 && offset >= 0)
                    {
                        result.OldStyleOffsets.Add(offset);
                    }
                }
                topicResponse.Partitions.Add(result);
            }
            response.Topics.Add(topicResponse);
        }
        return ValueTask.FromResult<IProtocolMessage?>(response);
    }

    /// <summary>(offset, timestamp) of <paramref name="found"/> when it is below the visible end (high watermark or LSO), else (-1, -1).</summary>
    private static (long Offset, long Timestamp) BelowHighWatermark(TimestampOffset? found, long highWatermark) =>
        found is { } f && f.Offset < highWatermark ? (f.Offset, f.Timestamp) : (-1, -1);
}
