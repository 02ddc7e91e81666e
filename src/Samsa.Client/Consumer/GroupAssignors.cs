using Samsa.Client.Consumer.Assignors;

namespace Samsa.Client.Consumer;

/// <summary>The assignors partition.assignment.strategy names, in preference order. Stateless.</summary>
internal static class GroupAssignors
{
    /// <summary>Throws <see cref="ArgumentException"/> naming partition.assignment.strategy for an unknown or mixed list.</summary>
    public static IReadOnlyList<IGroupAssignor> Parse(string strategies) =>
        [.. PartitionAssignors.Parse(strategies).Select(a => new ConsumerProtocolAssignor(a))];
}
