using Samsa.Broker.Cluster;
using Samsa.Broker.Network;
using Samsa.Protocol;
using Samsa.Protocol.Messages;

namespace Samsa.Broker.Handlers;

/// <summary>
/// ListOffsets v1-7: earliest (-2) is the log start offset, latest (-1) the high watermark
/// (the last stable offset for read_committed), and a timestamp the first offset whose batch holds a
/// record at or after it.
/// </summary>
internal sealed class ListOffsetsHandler(BrokerContext broker) : IRequestHandler
{
    private const long LatestTimestamp = -1;
    private const long EarliestTimestamp = -2;

    public ValueTask<IProtocolMessage?> HandleAsync(RequestContext context, IProtocolMessage message, CancellationToken cancellationToken)
    {
        var request = (ListOffsetsRequest)message;
        var response = new ListOffsetsResponse();
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
                    long offset;
                    long timestamp = -1;
                    switch (p.Timestamp)
                    {
                        case EarliestTimestamp:
                            offset = log.LogStartOffset;
                            break;
                        case LatestTimestamp:
                            offset = log.HighWatermark;
                            break;
                        case < 0:
                            offset = -1;
                            result.ErrorCode = (short)ErrorCode.UnsupportedVersion;
                            break;
                        default:
                            (offset, timestamp) = TimestampLookup.Find(log, p.Timestamp, log.HighWatermark);
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
}
