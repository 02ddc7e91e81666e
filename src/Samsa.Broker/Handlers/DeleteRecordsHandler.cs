using Samsa.Broker.Config;
using Samsa.Broker.Network;
using Samsa.Protocol;
using Samsa.Protocol.Messages;

namespace Samsa.Broker.Handlers;

/// <summary>
/// DeleteRecords v0-2: moves each partition's log start offset up to the requested offset (-1 means the high
/// watermark) and answers the new log start offset as the low watermark. Errors per partition, as Kafka:
/// UNKNOWN_TOPIC_OR_PARTITION, OFFSET_OUT_OF_RANGE for an offset above the high watermark (or negative other than -1),
/// POLICY_VIOLATION for a topic whose cleanup.policy is compact without delete. Whole segments below the new start
/// go at once (their files after file.delete.delay.ms). On one broker nothing waits for followers, so TimeoutMs is unused.
/// Stateless; thread-safe.
/// </summary>
internal sealed class DeleteRecordsHandler(BrokerContext broker) : IRequestHandler
{
    private const long HighWatermarkOffset = -1;

    public ValueTask<IProtocolMessage?> HandleAsync(RequestContext context, IProtocolMessage message, CancellationToken cancellationToken)
    {
        var request = (DeleteRecordsRequest)message;
        var response = new DeleteRecordsResponse();
        foreach (var topic in request.Topics)
        {
            var topicResult = new DeleteRecordsResponse.DeleteRecordsTopicResult { Name = topic.Name };
            foreach (var p in topic.Partitions)
            {
                var (error, lowWatermark) = Delete(new TopicPartition(topic.Name, p.PartitionIndex), p.Offset);
                topicResult.Partitions.Add(new DeleteRecordsResponse.DeleteRecordsPartitionResult
                {
                    PartitionIndex = p.PartitionIndex,
                    ErrorCode = (short)error,
                    LowWatermark = lowWatermark,
                });
            }
            response.Topics.Add(topicResult);
        }
        return ValueTask.FromResult<IProtocolMessage?>(response);
    }

    private (ErrorCode Error, long LowWatermark) Delete(TopicPartition topicPartition, long offset)
    {
        var partition = broker.Replicas.GetPartition(topicPartition);
        if (partition is null)
        {
            return (ErrorCode.UnknownTopicOrPartition, -1);
        }

        var policy = partition.TopicConfig.CleanupPolicy;
        if ((policy & CleanupPolicy.Compact) != 0 && (policy & CleanupPolicy.Delete) == 0)
        {
            return (ErrorCode.PolicyViolation, -1);
        }

        var log = partition.Log;
        long target = offset == HighWatermarkOffset ? log.HighWatermark : offset;
        if (target < 0 || target > log.HighWatermark)
        {
            return (ErrorCode.OffsetOutOfRange, -1);
        }

        try
        {
            return (ErrorCode.None, log.DeleteRecordsBefore(target));
        }
        catch (ArgumentOutOfRangeException)
        {
            return (ErrorCode.OffsetOutOfRange, -1);
        }
        catch (ObjectDisposedException)
        {
            return (ErrorCode.UnknownTopicOrPartition, -1);
        }
    }
}
