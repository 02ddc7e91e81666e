using Samsa.Broker.Coordinator.Transaction;
using Samsa.Broker.Network;
using Samsa.Protocol;
using Samsa.Protocol.Messages;

namespace Samsa.Broker.Handlers;

/// <summary>DescribeTransactions v0: state, producer id and epoch, timeout, start time and partitions of each transactional id.</summary>
internal sealed class DescribeTransactionsHandler(BrokerContext broker) : IRequestHandler
{
    public ValueTask<IProtocolMessage?> HandleAsync(RequestContext context, IProtocolMessage message, CancellationToken cancellationToken)
    {
        var request = (DescribeTransactionsRequest)message;
        var response = new DescribeTransactionsResponse();
        foreach (var id in request.TransactionalIds)
        {
            var value = broker.Transactions.Describe(id);
            if (value is null)
            {
                response.TransactionStates.Add(new DescribeTransactionsResponse.DescribedTransaction
                {
                    ErrorCode = (short)ErrorCode.TransactionalIdNotFound,
                    TransactionalId = id,
                    TransactionStartTimeMs = -1,
                    ProducerId = -1,
                    ProducerEpoch = -1,
                });
                continue;
            }
            var described = new DescribeTransactionsResponse.DescribedTransaction
            {
                TransactionalId = id,
                TransactionState = value.State.Name(),
                TransactionTimeoutMs = value.TimeoutMs,
                TransactionStartTimeMs = value.StartTimestampMs,
                ProducerId = value.ProducerId,
                ProducerEpoch = value.ProducerEpoch,
            };
            foreach (var topic in value.Partitions.GroupBy(p => p.Topic, StringComparer.Ordinal))
            {
                described.Topics.Add(new DescribeTransactionsResponse.TopicData { Topic = topic.Key, Partitions = topic.Select(p => p.Partition).ToList() });
            }
            response.TransactionStates.Add(described);
        }
        return ValueTask.FromResult<IProtocolMessage?>(response);
    }
}
