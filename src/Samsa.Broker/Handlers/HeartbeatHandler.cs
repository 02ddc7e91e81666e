using Samsa.Broker.Network;
using Samsa.Protocol;
using Samsa.Protocol.Messages;

namespace Samsa.Broker.Handlers;

/// <summary>Heartbeat v0-4: keeps the member's session alive; REBALANCE_IN_PROGRESS tells it to rejoin.</summary>
internal sealed class HeartbeatHandler(BrokerContext broker) : IRequestHandler
{
    public ValueTask<IProtocolMessage?> HandleAsync(RequestContext context, IProtocolMessage message, CancellationToken cancellationToken) =>
        ValueTask.FromResult<IProtocolMessage?>(new HeartbeatResponse { ErrorCode = (short)broker.Groups.Heartbeat((HeartbeatRequest)message) });
}
