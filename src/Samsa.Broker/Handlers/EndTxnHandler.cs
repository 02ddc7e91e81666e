using Samsa.Broker.Network;
using Samsa.Protocol;
using Samsa.Protocol.Messages;

namespace Samsa.Broker.Handlers;

/// <summary>
/// EndTxn v0-3: commits or aborts the producer's transaction. On a single broker the answer comes once the markers are
/// written and the transaction is complete (or, when markers must be retried, once the decision is on disk).
/// </summary>
internal sealed class EndTxnHandler(BrokerContext broker) : IRequestHandler
{
    public async ValueTask<IProtocolMessage?> HandleAsync(RequestContext context, IProtocolMessage message, CancellationToken cancellationToken)
    {
        var request = (EndTxnRequest)message;
        var error = await broker.Transactions.EndTransactionAsync(request.TransactionalId, request.ProducerId, request.ProducerEpoch, request.Committed)
            .ConfigureAwait(false);
        return new EndTxnResponse { ErrorCode = (short)AddPartitionsToTxnHandler.ForVersion(error, context.ApiVersion) };
    }
}
