namespace Samsa.Broker.Coordinator.Group;

/// <summary>The classic group protocol's states, with the names DescribeGroups and ListGroups report.</summary>
internal enum GroupState
{
    /// <summary>No members; may still hold committed offsets.</summary>
    Empty,

    /// <summary>Waiting for every member to (re)join.</summary>
    PreparingRebalance,

    /// <summary>Joined; waiting for the leader's assignment in SyncGroup.</summary>
    CompletingRebalance,

    /// <summary>Every member has its assignment.</summary>
    Stable,

    /// <summary>Deleted; requests on a reference to it are answered COORDINATOR_NOT_AVAILABLE.</summary>
    Dead,
}

internal static class GroupStateNames
{
    public static string Name(this GroupState state) => state switch
    {
        GroupState.Empty => "Empty",
        GroupState.PreparingRebalance => "PreparingRebalance",
        GroupState.CompletingRebalance => "CompletingRebalance",
        GroupState.Stable => "Stable",
        _ => "Dead",
    };
}
