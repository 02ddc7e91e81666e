using Samsa.Broker.Network;
using Samsa.Protocol;
using Samsa.Protocol.Messages;

namespace Samsa.Broker.Handlers;

/// <summary>SyncGroup v0-5: the leader hands in the assignment; every member waits for its share.</summary>
internal sealed class SyncGroupHandler(BrokerContext broker) : IRequestHandler
{
    public async ValueTask<IProtocolMessage?> HandleAsync(RequestContext context, IProtocolMessage message, CancellationToken cancellationToken) =>
        await broker.Groups.SyncGroupAsync((SyncGroupRequest)message).ConfigureAwait(false);
}
