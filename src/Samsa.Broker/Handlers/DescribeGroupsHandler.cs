using Samsa.Broker.Network;
using Samsa.Protocol;
using Samsa.Protocol.Messages;

namespace Samsa.Broker.Handlers;

/// <summary>DescribeGroups v0-5: state, protocol and members; an unknown group is reported as Dead, as Kafka does.</summary>
internal sealed class DescribeGroupsHandler(BrokerContext broker) : IRequestHandler
{
    public ValueTask<IProtocolMessage?> HandleAsync(RequestContext context, IProtocolMessage message, CancellationToken cancellationToken)
    {
        var request = (DescribeGroupsRequest)message;
        var response = new DescribeGroupsResponse();
        foreach (var groupId in request.Groups)
        {
            response.Groups.Add(broker.Groups.DescribeGroup(groupId));
        }
        return ValueTask.FromResult<IProtocolMessage?>(response);
    }
}
