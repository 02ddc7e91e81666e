using Samsa.Broker.Coordinator.Transaction;
using Samsa.Broker.Network;
using Samsa.Protocol;
using Samsa.Protocol.Messages;

namespace Samsa.Broker.Handlers;

/// <summary>
/// ListTransactions v0: the transactional ids, filtered by state and producer id (an empty filter matches all). State
/// names the broker does not know come back in UnknownStateFilters and do not filter, as in Kafka.
/// </summary>
internal sealed class ListTransactionsHandler(BrokerContext broker) : IRequestHandler
{
    public ValueTask<IProtocolMessage?> HandleAsync(RequestContext context, IProtocolMessage message, CancellationToken cancellationToken)
    {
        var request = (ListTransactionsRequest)message;
        var response = new ListTransactionsResponse();
        var states = new HashSet<TransactionState>();
        foreach (var name in request.StateFilters)
        {
            if (TransactionStates.TryParse(name, out var state))
            {
                states.Add(state);
            }
            else
            {
                response.UnknownStateFilters.Add(name);
            }
        }
        var producerIds = request.ProducerIdFilters.ToHashSet();
        foreach (var (id, value) in broker.Transactions.List(states, producerIds))
        {
            response.TransactionStates.Add(new ListTransactionsResponse.ListedTransaction
            {
                TransactionalId = id,
                ProducerId = value.ProducerId,
                TransactionState = value.State.Name(),
            });
        }
        response.ErrorCode = (short)ErrorCode.None;
        return ValueTask.FromResult<IProtocolMessage?>(response);
    }
}
