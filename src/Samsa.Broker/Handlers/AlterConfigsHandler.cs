using Samsa.Broker.Config;
using Samsa.Broker.Network;
using Samsa.Protocol;
using Samsa.Protocol.Messages;

namespace Samsa.Broker.Handlers;

/// <summary>
/// AlterConfigs v0-2: replaces a topic's whole override set with the given entries (null values are left out), after
/// validating every key and value as CreateTopics does. Broker configs are static here: INVALID_REQUEST. Stateless;
/// thread-safe (<see cref="Cluster.TopicManager.AlterTopicConfigs"/> serializes the change).
/// </summary>
internal sealed class AlterConfigsHandler(BrokerContext broker) : IRequestHandler
{
    public ValueTask<IProtocolMessage?> HandleAsync(RequestContext context, IProtocolMessage message, CancellationToken cancellationToken)
    {
        var request = (AlterConfigsRequest)message;
        var response = new AlterConfigsResponse();
        var duplicates = request.Resources
            .GroupBy(r => (r.ResourceType, r.ResourceName))
            .Where(g => g.Count() > 1)
            .Select(g => g.Key)
            .ToHashSet();
        foreach (var resource in request.Resources)
        {
            var (error, errorMessage) = duplicates.Contains((resource.ResourceType, resource.ResourceName))
                ? (ErrorCode.InvalidRequest, $"Resource {resource.ResourceName} appears more than once in the request.")
                : Alter(resource, request.ValidateOnly);
            response.Responses.Add(new AlterConfigsResponse.AlterConfigsResourceResponse
            {
                ErrorCode = (short)error,
                ErrorMessage = errorMessage,
                ResourceType = resource.ResourceType,
                ResourceName = resource.ResourceName,
            });
        }
        return ValueTask.FromResult<IProtocolMessage?>(response);
    }

    private (ErrorCode Error, string? Message) Alter(AlterConfigsRequest.AlterConfigsResource resource, bool validateOnly)
    {
        switch (resource.ResourceType)
        {
            case DescribeConfigsHandler.TopicResource:
                break;
            case DescribeConfigsHandler.BrokerResource:
                return (ErrorCode.InvalidRequest, "Broker configs are static here: set them in server.properties and restart.");
            default:
                return (ErrorCode.InvalidRequest, $"Resource type {resource.ResourceType} is not supported; alter topics (2).");
        }
        var next = new Dictionary<string, string>(StringComparer.Ordinal);
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var config in resource.Configs)
        {
            if (!names.Add(config.Name))
            {
                return (ErrorCode.InvalidRequest, $"Config '{config.Name}' appears more than once for topic {resource.ResourceName}.");
            }
            if (config.Value is not null)
            {
                next[config.Name] = config.Value;
            }
            else if (!TopicConfig.IsKnown(config.Name))
            {
                return (ErrorCode.InvalidConfig, $"Unknown topic configuration '{config.Name}'.");
            }
        }
        return broker.Topics.AlterTopicConfigs(resource.ResourceName, _ => (next, null), validateOnly);
    }
}
