using Samsa.Broker.Cluster;
using Samsa.Broker.Network;
using Samsa.Protocol;
using Samsa.Protocol.Messages;

namespace Samsa.Broker.Handlers;

/// <summary>DeleteTopics v1-6: by name (v1-5) or by name or topic id (v6).</summary>
internal sealed class DeleteTopicsHandler(BrokerContext broker) : IRequestHandler
{
    public ValueTask<IProtocolMessage?> HandleAsync(RequestContext context, IProtocolMessage message, CancellationToken cancellationToken)
    {
        var request = (DeleteTopicsRequest)message;
        var response = new DeleteTopicsResponse();
        var targets = new List<(string? Name, Uuid Id)>();
        if (context.ApiVersion >= 6)
        {
            targets.AddRange(request.Topics.Select(t => (t.Name, t.TopicId)));
        }
        else
        {
            targets.AddRange(request.TopicNames.Select(n => ((string?)n, Uuid.Zero)));
        }
        foreach (var (requestedName, id) in targets)
        {
            var result = new DeleteTopicsResponse.DeletableTopicResult { Name = requestedName, TopicId = id };
            response.Responses.Add(result);
            string? name = requestedName;
            if (name is null)
            {
                name = broker.Topics.Topics.FirstOrDefault(t => t.TopicId == id)?.Name;
                if (name is null)
                {
                    result.ErrorCode = (short)ErrorCode.UnknownTopicId;
                    continue;
                }
                result.Name = name;
            }
            if (!broker.Config.DeleteTopicEnable)
            {
                result.ErrorCode = (short)ErrorCode.TopicDeletionDisabled;
                result.ErrorMessage = "Topic deletion is disabled (delete.topic.enable=false).";
                continue;
            }
            if (TopicNames.IsInternal(name))
            {
                result.ErrorCode = (short)ErrorCode.InvalidRequest;
                result.ErrorMessage = $"Topic {name} is an internal topic and cannot be deleted.";
                continue;
            }
            if (!broker.Topics.TryGetTopic(name, out var topic))
            {
                result.ErrorCode = (short)ErrorCode.UnknownTopicOrPartition;
                result.ErrorMessage = "This server does not host this topic-partition.";
                continue;
            }
            result.TopicId = topic.TopicId;
            if (!broker.Topics.DeleteTopic(name))
            {
                result.ErrorCode = (short)ErrorCode.UnknownTopicOrPartition;
            }
        }
        return ValueTask.FromResult<IProtocolMessage?>(response);
    }
}
