using Samsa.Broker.Coordinator.Group;
using Samsa.Broker.Network;
using Samsa.Protocol;
using Samsa.Protocol.Messages;

namespace Samsa.Broker.Handlers;

/// <summary>ListGroups v0-4, with the v4 state filter (case-insensitive, as Kafka).</summary>
internal sealed class ListGroupsHandler(BrokerContext broker) : IRequestHandler
{
    public ValueTask<IProtocolMessage?> HandleAsync(RequestContext context, IProtocolMessage message, CancellationToken cancellationToken)
    {
        var request = (ListGroupsRequest)message;
        var filter = new HashSet<string>(request.StatesFilter, StringComparer.OrdinalIgnoreCase);
        var response = new ListGroupsResponse();
        foreach (var (groupId, protocolType, state) in broker.Groups.ListGroups())
        {
            if (filter.Count > 0 && !filter.Contains(state.Name()))
            {
                continue;
            }
            response.Groups.Add(new ListGroupsResponse.ListedGroup { GroupId = groupId, ProtocolType = protocolType, GroupState = state.Name() });
        }
        return ValueTask.FromResult<IProtocolMessage?>(response);
    }
}
