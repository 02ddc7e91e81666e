using Samsa.Broker.Coordinator.Group;
using Samsa.Broker.Network;
using Samsa.Protocol;
using Samsa.Protocol.Messages;

namespace Samsa.Broker.Handlers;

/// <summary>
/// Produce v3-9 (v0-2 are advertised for librdkafka's sake and answered with UNSUPPORTED_VERSION).
/// acks=all is acks=1 on a single broker; acks=0 gets no response, and an error then closes the
/// connection so the producer notices, as Kafka does.
/// </summary>
internal sealed class ProduceHandler(BrokerContext broker) : IRequestHandler
{
    public ValueTask<IProtocolMessage?> HandleAsync(RequestContext context, IProtocolMessage message, CancellationToken cancellationToken)
    {
        var request = (ProduceRequest)message;
        var response = new ProduceResponse();
        bool anyError = false;
        ErrorCode requestError = ErrorCode.None;
        if (context.ApiVersion < 3)
        {
            requestError = ErrorCode.UnsupportedVersion;
        }
        else if (request.Acks is not (-1 or 0 or 1))
        {
            requestError = ErrorCode.InvalidRequiredAcks;
        }

        foreach (var topicData in request.TopicData)
        {
            var topicResponse = new ProduceResponse.TopicProduceResponse { Name = topicData.Name };
            foreach (var partitionData in topicData.PartitionData)
            {
                PartitionAppendResultOrError(topicData.Name, partitionData, requestError, out var error, out long baseOffset, out long logStartOffset);
                anyError |= error != ErrorCode.None;
                topicResponse.PartitionResponses.Add(new ProduceResponse.PartitionProduceResponse
                {
                    Index = partitionData.Index,
                    ErrorCode = (short)error,
                    BaseOffset = baseOffset,
                    LogAppendTimeMs = -1,
                    LogStartOffset = logStartOffset,
                });
            }
            response.Responses.Add(topicResponse);
        }

        if (request.Acks == 0)
        {
            context.CloseConnection = anyError;
            return ValueTask.FromResult<IProtocolMessage?>(null);
        }
        return ValueTask.FromResult<IProtocolMessage?>(response);
    }

    private void PartitionAppendResultOrError(string topic, ProduceRequest.PartitionProduceData data, ErrorCode requestError,
        out ErrorCode error, out long baseOffset, out long logStartOffset)
    {
        if (requestError != ErrorCode.None)
        {
            (error, baseOffset, logStartOffset) = (requestError, -1, -1);
            return;
        }
        if (topic == GroupCoordinator.OffsetsTopic)
        {
            // Only the coordinator writes internal topics.
            (error, baseOffset, logStartOffset) = (ErrorCode.InvalidTopicException, -1, -1);
            return;
        }
        var result = broker.Replicas.AppendRecords(new TopicPartition(topic, data.Index), data.Records);
        (error, baseOffset, logStartOffset) = (result.Error, result.BaseOffset, result.LogStartOffset);
    }
}
