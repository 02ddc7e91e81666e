using Samsa.Broker.Cluster;
using Samsa.Broker.Coordinator.Group;
using Samsa.Broker.Network;
using Samsa.Protocol;
using Samsa.Protocol.Messages;

namespace Samsa.Broker.Handlers;

/// <summary>
/// Produce v3-9 (v0-2 are advertised for librdkafka's sake and answered with UNSUPPORTED_VERSION).
/// acks=all is acks=1 on a single broker; acks=0 gets no response, and an error then closes the
/// connection so the producer notices, as Kafka does. With group commit on (log.flush.group.commit.enable)
/// every partition is appended first, then the answer waits until each is fsynced, so the partitions of one
/// request and the requests of other connections share syncs.
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

        bool waitForFlush = request.Acks != 0;
        List<PendingAppend>? pending = null;
        foreach (var topicData in request.TopicData)
        {
            var topicResponse = new ProduceResponse.TopicProduceResponse { Name = topicData.Name };
            foreach (var partitionData in topicData.PartitionData)
            {
                var partitionResponse = new ProduceResponse.PartitionProduceResponse { Index = partitionData.Index };
                var appended = Append(topicData.Name, partitionData, requestError, context.ApiVersion, waitForFlush);
                if (appended.IsCompletedSuccessfully)
                {
                    anyError |= Fill(partitionResponse, appended.Result);
                }
                else
                {
                    (pending ??= []).Add(new PendingAppend(partitionResponse, appended));
                }
                topicResponse.PartitionResponses.Add(partitionResponse);
            }
            response.Responses.Add(topicResponse);
        }

        if (request.Acks == 0)
        {
            context.CloseConnection = anyError;
            return ValueTask.FromResult<IProtocolMessage?>(null);
        }
        if (pending is not null)
        {
            return AwaitFlushesAsync(response, pending);
        }
        return ValueTask.FromResult<IProtocolMessage?>(response);
    }

    private static async ValueTask<IProtocolMessage?> AwaitFlushesAsync(ProduceResponse response, List<PendingAppend> pending)
    {
        foreach (var (partitionResponse, appended) in pending)
        {
            Fill(partitionResponse, await appended.ConfigureAwait(false));
        }
        return response;
    }

    /// <summary>Copies one partition's outcome into its response; true when it is an error.</summary>
    private static bool Fill(ProduceResponse.PartitionProduceResponse partitionResponse, PartitionAppendResult result)
    {
        partitionResponse.ErrorCode = (short)result.Error;
        partitionResponse.BaseOffset = result.BaseOffset;
        partitionResponse.LogAppendTimeMs = result.LogAppendTime;
        partitionResponse.LogStartOffset = result.LogStartOffset;
        return result.Error != ErrorCode.None;
    }

    private ValueTask<PartitionAppendResult> Append(string topic, ProduceRequest.PartitionProduceData data, ErrorCode requestError,
        short version, bool waitForFlush)
    {
        if (requestError != ErrorCode.None)
        {
            return new ValueTask<PartitionAppendResult>(new PartitionAppendResult(requestError, -1, -1));
        }
        if (TopicNames.IsInternal(topic))
        {
            // Only the coordinator writes internal topics.
            return new ValueTask<PartitionAppendResult>(new PartitionAppendResult(ErrorCode.InvalidTopicException, -1, -1));
        }
        return broker.Replicas.AppendRecordsAsync(new TopicPartition(topic, data.Index), data.Records, version, waitForFlush);
    }

    private readonly record struct PendingAppend(ProduceResponse.PartitionProduceResponse Response, ValueTask<PartitionAppendResult> Appended);
}
