using Samsa.Broker.Network;
using Samsa.Protocol;
using Samsa.Protocol.Messages;

namespace Samsa.Broker.Handlers;

/// <summary>
/// InitProducerId v0-4: a producer id and epoch for an idempotent producer (fresh) or a transactional one (the id's,
/// epoch bumped). v3+ carries the current producer id and epoch for a KIP-360 bump; PRODUCER_FENCED exists from v4
/// (KIP-588), older versions get INVALID_PRODUCER_EPOCH instead.
/// </summary>
internal sealed class InitProducerIdHandler(BrokerContext broker) : IRequestHandler
{
    public async ValueTask<IProtocolMessage?> HandleAsync(RequestContext context, IProtocolMessage message, CancellationToken cancellationToken)
    {
        var request = (InitProducerIdRequest)message;
        bool hasExpected = context.ApiVersion >= 3;
        var (error, producerId, epoch) = await broker.Transactions.InitProducerIdAsync(request.TransactionalId, request.TransactionTimeoutMs,
            hasExpected ? request.ProducerId : -1, hasExpected ? request.ProducerEpoch : (short)-1).ConfigureAwait(false);
        if (error == ErrorCode.ProducerFenced && context.ApiVersion < 4)
        {
            error = ErrorCode.InvalidProducerEpoch;
        }
        return new InitProducerIdResponse { ErrorCode = (short)error, ProducerId = producerId, ProducerEpoch = epoch };
    }
}
