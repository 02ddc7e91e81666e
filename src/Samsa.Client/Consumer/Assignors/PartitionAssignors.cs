namespace Samsa.Client.Consumer.Assignors;

/// <summary>
/// Finds an assignor by the name partition.assignment.strategy uses: librdkafka's protocol names
/// ("range", "roundrobin", "cooperative-sticky") or the Java client's class names. Thread-safe.
/// </summary>
public static class PartitionAssignors
{
    public static IPartitionAssignor Range { get; } = new RangeAssignor();

    public static IPartitionAssignor RoundRobin { get; } = new RoundRobinAssignor();

    public static IPartitionAssignor CooperativeSticky { get; } = new CooperativeStickyAssignor();

    private static readonly Dictionary<string, IPartitionAssignor> ByName = new(StringComparer.OrdinalIgnoreCase)
    {
        [RangeAssignor.StrategyName] = Range,
        ["org.apache.kafka.clients.consumer.RangeAssignor"] = Range,
        [RoundRobinAssignor.StrategyName] = RoundRobin,
        ["org.apache.kafka.clients.consumer.RoundRobinAssignor"] = RoundRobin,
        [CooperativeStickyAssignor.StrategyName] = CooperativeSticky,
        ["org.apache.kafka.clients.consumer.CooperativeStickyAssignor"] = CooperativeSticky,
    };

    public static bool TryGet(string name, out IPartitionAssignor assignor) =>
        ByName.TryGetValue(name.Trim(), out assignor!);

    /// <summary>
    /// The assignors a partition.assignment.strategy value lists, comma-separated, in preference order.
    /// Mixing eager and cooperative strategies is refused, as librdkafka does: a member can follow only one
    /// rebalance protocol.
    /// </summary>
    public static IReadOnlyList<IPartitionAssignor> Parse(string strategies)
    {
        var result = new List<IPartitionAssignor>();
        foreach (string name in strategies.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!TryGet(name, out var assignor))
            {
                throw new ArgumentException($"unknown partition.assignment.strategy \"{name}\"; known: range, roundrobin, cooperative-sticky", nameof(strategies));
            }
            if (!result.Contains(assignor))
            {
                result.Add(assignor);
            }
        }
        if (result.Count == 0)
        {
            throw new ArgumentException("partition.assignment.strategy names no assignor", nameof(strategies));
        }
        if (result.Select(a => a.Protocol).Distinct().Count() > 1)
        {
            throw new ArgumentException($"partition.assignment.strategy \"{strategies}\" mixes eager and cooperative assignors", nameof(strategies));
        }
        return result;
    }
}
