using Samsa.Broker.Network;
using Samsa.Protocol;
using Samsa.Protocol.Messages;

namespace Samsa.Broker.Handlers;

/// <summary>
/// AddPartitionsToTxn v0-3: adds partitions to the producer's transaction. When any partition is unknown, nothing is
/// added: those get UNKNOWN_TOPIC_OR_PARTITION and the others OPERATION_NOT_ATTEMPTED. Otherwise every partition gets the
/// coordinator's answer. PRODUCER_FENCED exists from v2 (KIP-588); older versions get INVALID_PRODUCER_EPOCH.
/// </summary>
internal sealed class AddPartitionsToTxnHandler(BrokerContext broker) : IRequestHandler
{
    public async ValueTask<IProtocolMessage?> HandleAsync(RequestContext context, IProtocolMessage message, CancellationToken cancellationToken)
    {
        var request = (AddPartitionsToTxnRequest)message;
        var partitions = new List<TopicPartition>();
        var unknown = new HashSet<TopicPartition>();
        foreach (var topic in request.Topics)
        {
            foreach (int p in topic.Partitions)
            {
                var tp = new TopicPartition(topic.Name, p);
                partitions.Add(tp);
                if (broker.Replicas.GetPartition(tp) is null)
                {
                    unknown.Add(tp);
                }
            }
        }
        var error = ErrorCode.None;
        if (unknown.Count == 0)
        {
            error = await broker.Transactions.AddPartitionsAsync(request.TransactionalId, request.ProducerId, request.ProducerEpoch, partitions)
                .ConfigureAwait(false);
            error = ForVersion(error, context.ApiVersion);
        }
        var response = new AddPartitionsToTxnResponse();
        foreach (var topic in request.Topics)
        {
            var result = new AddPartitionsToTxnResponse.AddPartitionsToTxnTopicResult { Name = topic.Name };
            foreach (int p in topic.Partitions)
            {
                var partitionError = unknown.Count == 0 ? error
                    : unknown.Contains(new TopicPartition(topic.Name, p)) ? ErrorCode.UnknownTopicOrPartition : ErrorCode.OperationNotAttempted;
                result.Results.Add(new AddPartitionsToTxnResponse.AddPartitionsToTxnPartitionResult { PartitionIndex = p, ErrorCode = (short)partitionError });
            }
            response.Results.Add(result);
        }
        return response;
    }

    /// <summary>PRODUCER_FENCED for versions that know it (2+), INVALID_PRODUCER_EPOCH before (AddPartitionsToTxn, AddOffsetsToTxn, EndTxn).</summary>
    internal static ErrorCode ForVersion(ErrorCode error, short version) =>
        error == ErrorCode.ProducerFenced && version < 2 ? ErrorCode.InvalidProducerEpoch : error;
}
