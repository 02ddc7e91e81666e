using Samsa.Protocol;

namespace Samsa.Client.Consumer.Assignors;

/// <summary>
/// What the group leader knows about one member when it computes an assignment: its decoded JoinGroup
/// metadata plus the group.instance.id the coordinator reported for it. Immutable.
/// </summary>
public sealed record MemberSubscription
{
    public required IReadOnlyList<string> Topics { get; init; }

    /// <summary>The partitions the member holds as it joins (subscription v1+), empty when it holds none or did not say.</summary>
    public IReadOnlyList<TopicPartition> OwnedPartitions { get; init; } = [];

    /// <summary>The generation of <see cref="OwnedPartitions"/> (subscription v2+); -1 when the subscription did not carry it.</summary>
    public int GenerationId { get; init; } = -1;

    /// <summary>group.instance.id of a static member, null for a dynamic one.</summary>
    public string? GroupInstanceId { get; init; }

    public string? RackId { get; init; }

    /// <summary>The assignor-specific bytes of the subscription.</summary>
    public byte[]? UserData { get; init; }

    public static MemberSubscription From(ConsumerProtocolSubscription subscription, string? groupInstanceId) => new()
    {
        Topics = subscription.Topics,
        OwnedPartitions = subscription.OwnedPartitions,
        GenerationId = subscription.GenerationId,
        GroupInstanceId = groupInstanceId,
        RackId = subscription.RackId,
        UserData = subscription.UserData,
    };
}
