namespace Samsa.Client.Consumer;

/// <summary>The assignors partition.assignment.strategy names, in preference order. Stateless.</summary>
internal static class GroupAssignors
{
    /// <summary>Throws <see cref="ArgumentException"/> naming partition.assignment.strategy for an unknown or mixed list.</summary>
    public static IReadOnlyList<IGroupAssignor> Parse(string strategies)
    {
        var result = new List<IGroupAssignor>();
        foreach (string name in strategies.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (name is "range" or "org.apache.kafka.clients.consumer.RangeAssignor")
            {
                result.Add(BasicRangeAssignor.Instance);
            }
            else if (name is not ("roundrobin" or "org.apache.kafka.clients.consumer.RoundRobinAssignor"))
            {
                throw new ArgumentException($"invalid value '{strategies}' for configuration property \"partition.assignment.strategy\": unknown assignor '{name}'");
            }
        }
        if (result.Count == 0)
        {
            throw new ArgumentException($"invalid value '{strategies}' for configuration property \"partition.assignment.strategy\": no assignor");
        }
        return result;
    }
}
