namespace Samsa.Client.Consumer.Assignors;

/// <summary>How members hand partitions over during a rebalance (KIP-429).</summary>
public enum RebalanceProtocol
{
    /// <summary>Every member revokes all its partitions before joining; the new assignment starts from nothing.</summary>
    Eager,

    /// <summary>
    /// Members keep their partitions while rejoining and revoke only those the new assignment takes away;
    /// a partition that changes owner is revoked in one rebalance and assigned in the next.
    /// </summary>
    Cooperative,
}
