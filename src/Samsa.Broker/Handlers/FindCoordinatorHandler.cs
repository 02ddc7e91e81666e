using Samsa.Broker.Network;
using Samsa.Protocol;
using Samsa.Protocol.Messages;

namespace Samsa.Broker.Handlers;

/// <summary>
/// FindCoordinator v0-4: this broker coordinates every group (creating __consumer_offsets on first use) and every
/// transactional id (key type 1, creating __transaction_state on first use).
/// </summary>
internal sealed class FindCoordinatorHandler(BrokerContext broker) : IRequestHandler
{
    private const sbyte GroupKeyType = 0;
    private const sbyte TransactionKeyType = 1;

    public ValueTask<IProtocolMessage?> HandleAsync(RequestContext context, IProtocolMessage message, CancellationToken cancellationToken)
    {
        var request = (FindCoordinatorRequest)message;
        var (host, port) = broker.Advertised(context.ListenerName);
        var response = new FindCoordinatorResponse();
        var keys = context.ApiVersion >= 4 ? request.CoordinatorKeys : [request.Key];
        foreach (var key in keys)
        {
            var (error, messageText) = Find(request.KeyType, key);
            var coordinator = new FindCoordinatorResponse.Coordinator
            {
                Key = key,
                ErrorCode = (short)error,
                ErrorMessage = messageText,
                NodeId = error == ErrorCode.None ? broker.BrokerId : -1,
                Host = error == ErrorCode.None ? host : "",
                Port = error == ErrorCode.None ? port : -1,
            };
            if (context.ApiVersion >= 4)
            {
                response.Coordinators.Add(coordinator);
            }
            else
            {
                response.ErrorCode = coordinator.ErrorCode;
                response.ErrorMessage = coordinator.ErrorMessage;
                response.NodeId = coordinator.NodeId;
                response.Host = coordinator.Host;
                response.Port = coordinator.Port;
            }
        }
        return ValueTask.FromResult<IProtocolMessage?>(response);
    }

    private (ErrorCode Error, string? Message) Find(sbyte keyType, string key)
    {
        switch (keyType)
        {
            case GroupKeyType:
                if (string.IsNullOrEmpty(key))
                {
                    return (ErrorCode.InvalidRequest, "The group id is empty.");
                }
                broker.Groups.EnsureOffsetsTopic();
                return (ErrorCode.None, null);
            case TransactionKeyType:
                if (string.IsNullOrEmpty(key))
                {
                    return (ErrorCode.InvalidRequest, "The transactional id is empty.");
                }
                broker.Transactions.StateManager.EnsureTransactionStateTopic();
                return (ErrorCode.None, null);
            default:
                return (ErrorCode.InvalidRequest, $"Unknown coordinator key type {keyType}.");
        }
    }
}
