using Samsa.Broker.Config;
using Samsa.Broker.Network;
using Samsa.Protocol;
using Samsa.Protocol.Messages;

namespace Samsa.Broker.Handlers;

/// <summary>
/// IncrementalAlterConfigs v0-1 for topics: SET (0) and DELETE (1) an override; APPEND (2) and SUBTRACT (3) items of a
/// list-valued key (cleanup.policy, the throttled-replica lists), starting from the effective value when the topic has
/// no override. The resulting override set is validated as CreateTopics validates configs (INVALID_CONFIG naming the
/// key). Broker configs are static here: INVALID_REQUEST. Stateless; thread-safe (the topic manager serializes the
/// read-modify-write of a topic's overrides).
/// </summary>
internal sealed class IncrementalAlterConfigsHandler(BrokerContext broker) : IRequestHandler
{
    private const sbyte Set = 0;
    private const sbyte Delete = 1;
    private const sbyte Append = 2;
    private const sbyte Subtract = 3;

    public ValueTask<IProtocolMessage?> HandleAsync(RequestContext context, IProtocolMessage message, CancellationToken cancellationToken)
    {
        var request = (IncrementalAlterConfigsRequest)message;
        var response = new IncrementalAlterConfigsResponse();
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
            response.Responses.Add(new IncrementalAlterConfigsResponse.AlterConfigsResourceResponse
            {
                ErrorCode = (short)error,
                ErrorMessage = errorMessage,
                ResourceType = resource.ResourceType,
                ResourceName = resource.ResourceName,
            });
        }
        return ValueTask.FromResult<IProtocolMessage?>(response);
    }

    private (ErrorCode Error, string? Message) Alter(IncrementalAlterConfigsRequest.AlterConfigsResource resource, bool validateOnly)
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
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var config in resource.Configs)
        {
            if (!seen.Add(config.Name))
            {
                return (ErrorCode.InvalidRequest, $"Config '{config.Name}' appears more than once for topic {resource.ResourceName}.");
            }
            if (config.ConfigOperation is < Set or > Subtract)
            {
                return (ErrorCode.InvalidRequest, $"Unknown config operation {config.ConfigOperation} for '{config.Name}'.");
            }
            if (config.ConfigOperation != Delete && config.Value is null)
            {
                return (ErrorCode.InvalidRequest, $"Null value not supported for '{config.Name}'.");
            }
        }
        return broker.Topics.AlterTopicConfigs(resource.ResourceName, current => Apply(resource.Configs, current), validateOnly);
    }

    /// <summary>The topic's overrides after the operations, or null and the reason (INVALID_CONFIG).</summary>
    private (Dictionary<string, string>? Next, string? Error) Apply(
        List<IncrementalAlterConfigsRequest.AlterableConfig> operations, IReadOnlyDictionary<string, string> current)
    {
        var next = new Dictionary<string, string>(current, StringComparer.Ordinal);
        foreach (var operation in operations)
        {
            string name = operation.Name;
            if (!TopicConfigKey.All.TryGetValue(name, out var key))
            {
                return (null, $"Unknown topic configuration '{name}'.");
            }
            switch (operation.ConfigOperation)
            {
                case Set:
                    next[name] = operation.Value!;
                    break;
                case Delete:
                    next.Remove(name);
                    break;
                default:
                    if (key.Key.Type != ConfigType.List)
                    {
                        return (null, $"Config value append or subtract is not allowed for '{name}': it is not a list.");
                    }
                    var items = ListItems(next.TryGetValue(name, out var given) ? given : ConfigFormat.Format(key.BrokerDefault(broker.Config)));
                    foreach (var item in ListItems(operation.Value))
                    {
                        if (operation.ConfigOperation == Append && !items.Contains(item))
                        {
                            items.Add(item);
                        }
                        else if (operation.ConfigOperation == Subtract)
                        {
                            items.Remove(item);
                        }
                    }
                    next[name] = string.Join(",", items);
                    break;
            }
        }
        return (next, null);
    }

    private static List<string> ListItems(string? value) =>
        string.IsNullOrEmpty(value)
            ? []
            : value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).ToList();
}
