using Samsa.Protocol;

namespace Samsa.Broker.Handlers;

/// <summary>The checks AlterConfigs and IncrementalAlterConfigs make on each resource before changing it. Stateless.</summary>
internal static class ConfigResources
{
    public const string DuplicateMessage = "appears more than once in the request.";

    /// <summary>The (type, name) pairs named more than once: Kafka refuses each of them with INVALID_REQUEST.</summary>
    public static HashSet<(sbyte Type, string Name)> Duplicates<T>(IEnumerable<T> resources, Func<T, (sbyte Type, string Name)> key) =>
        resources.GroupBy(key).Where(g => g.Count() > 1).Select(g => g.Key).ToHashSet();

    /// <summary>Null for a topic; otherwise why a resource of this type cannot be altered.</summary>
    public static (ErrorCode Error, string Message)? RefuseUnlessTopic(sbyte resourceType) => resourceType switch
    {
        DescribeConfigsHandler.TopicResource => null,
        DescribeConfigsHandler.BrokerResource => (ErrorCode.InvalidRequest, "Broker configs are static here: set them in server.properties and restart."),
        _ => (ErrorCode.InvalidRequest, $"Resource type {resourceType} is not supported; alter topics (2)."),
    };
}
