using Samsa.Broker.Network;
using Samsa.Protocol;
using Samsa.Protocol.Messages;

namespace Samsa.Broker.Handlers;

/// <summary>LeaveGroup v0-5: one member (v0-2) or a batch with per-member errors (v3+, static members by instance id).</summary>
internal sealed class LeaveGroupHandler(BrokerContext broker) : IRequestHandler
{
    public ValueTask<IProtocolMessage?> HandleAsync(RequestContext context, IProtocolMessage message, CancellationToken cancellationToken)
    {
        var request = (LeaveGroupRequest)message;
        var leaving = context.ApiVersion >= 3
            ? request.Members.Select(m => (m.MemberId, m.GroupInstanceId)).ToList()
            : [(request.MemberId, (string?)null)];
        var results = broker.Groups.LeaveGroup(request.GroupId, leaving);
        var response = new LeaveGroupResponse();
        if (context.ApiVersion >= 3)
        {
            foreach (var (memberId, instanceId, error) in results)
            {
                response.Members.Add(new LeaveGroupResponse.MemberResponse { MemberId = memberId, GroupInstanceId = instanceId, ErrorCode = (short)error });
            }
        }
        else
        {
            response.ErrorCode = (short)results[0].Error;
        }
        return ValueTask.FromResult<IProtocolMessage?>(response);
    }
}
