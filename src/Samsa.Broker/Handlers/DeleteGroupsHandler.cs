using Samsa.Broker.Network;
using Samsa.Protocol;
using Samsa.Protocol.Messages;

namespace Samsa.Broker.Handlers;

/// <summary>DeleteGroups v0-2: only empty groups (NON_EMPTY_GROUP otherwise); unknown ones get GROUP_ID_NOT_FOUND.</summary>
internal sealed class DeleteGroupsHandler(BrokerContext broker) : IRequestHandler
{
    public ValueTask<IProtocolMessage?> HandleAsync(RequestContext context, IProtocolMessage message, CancellationToken cancellationToken)
    {
        var request = (DeleteGroupsRequest)message;
        var response = new DeleteGroupsResponse();
        foreach (var groupId in request.GroupsNames)
        {
            response.Results.Add(new DeleteGroupsResponse.DeletableGroupResult { GroupId = groupId, ErrorCode = (short)broker.Groups.DeleteGroup(groupId) });
        }
        return ValueTask.FromResult<IProtocolMessage?>(response);
    }
}
