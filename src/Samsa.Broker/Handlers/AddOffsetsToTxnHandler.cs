using Samsa.Broker.Coordinator.Group;
using Samsa.Broker.Network;
using Samsa.Protocol;
using Samsa.Protocol.Messages;

namespace Samsa.Broker.Handlers;

/// <summary>
/// AddOffsetsToTxn v0-3: adds the group's __consumer_offsets partition to the producer's transaction, so the offsets it
/// then commits with TxnOffsetCommit are committed or dropped by the transaction's marker.
/// </summary>
internal sealed class AddOffsetsToTxnHandler(BrokerContext broker) : IRequestHandler
{
    public async ValueTask<IProtocolMessage?> HandleAsync(RequestContext context, IProtocolMessage message, CancellationToken cancellationToken)
    {
        var request = (AddOffsetsToTxnRequest)message;
        if (string.IsNullOrEmpty(request.GroupId))
        {
            return new AddOffsetsToTxnResponse { ErrorCode = (short)ErrorCode.InvalidGroupId };
        }
        broker.Groups.EnsureOffsetsTopic();
        var partition = new TopicPartition(GroupCoordinator.OffsetsTopic, broker.Groups.PartitionFor(request.GroupId));
        var error = await broker.Transactions.AddPartitionsAsync(request.TransactionalId, request.ProducerId, request.ProducerEpoch, [partition])
            .ConfigureAwait(false);
        return new AddOffsetsToTxnResponse { ErrorCode = (short)AddPartitionsToTxnHandler.ForVersion(error, context.ApiVersion) };
    }
}
