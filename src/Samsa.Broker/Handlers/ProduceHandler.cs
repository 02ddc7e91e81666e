using Samsa.Broker.Cluster;
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
                var result = Append(topicData.Name, partitionData, requestError, context.ApiVersion);
                anyError |= result.Error != ErrorCode.None;
                topicResponse.PartitionResponses.Add(new ProduceResponse.PartitionProduceResponse
                {
                    Index = partitionData.Index,
                    ErrorCode = (short)result.Error,
                    BaseOffset = result.BaseOffset,
                    LogAppendTimeMs = result.LogAppendTime,
                    LogStartOffset = result.LogStartOffset,
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

    private PartitionAppendResult Append(string topic, ProduceRequest.PartitionProduceData data, ErrorCode requestError, short version)
    {
        if (requestError != ErrorCode.None)
        {
            return new PartitionAppendResult(requestError, -1, -1);
        }
        if (TopicNames.IsInternal(topic))
        {
            // Only the coordinator writes internal topics.
            return new PartitionAppendResult(ErrorCode.InvalidTopicException, -1, -1);
        }
        return broker.Replicas.AppendRecords(new TopicPartition(topic, data.Index), data.Records, version);
    }
}
