using Samsa.Broker.Network;
using Samsa.Protocol;
using Samsa.Protocol.Messages;

namespace Samsa.Broker.Handlers;

/// <summary>JoinGroup v0-9: waits until the group's join phase completes (see GroupCoordinator).</summary>
internal sealed class JoinGroupHandler(BrokerContext broker) : IRequestHandler
{
    public async ValueTask<IProtocolMessage?> HandleAsync(RequestContext context, IProtocolMessage message, CancellationToken cancellationToken)
    {
        var request = (JoinGroupRequest)message;
        var response = await broker.Groups.JoinGroupAsync(request, context.ApiVersion, context.Header.ClientId ?? "", context.ClientHost).ConfigureAwait(false);
        return response;
    }
}
