using Samsa.Broker.Purgatory;
using Samsa.Protocol.Messages;

namespace Samsa.Broker.Coordinator.Group;

/// <summary>One member of a group. Guarded by its group's lock.</summary>
internal sealed class MemberMetadata
{
    public required string MemberId { get; set; }

    public string? GroupInstanceId { get; init; }

    public required string ClientId { get; set; }

    public required string ClientHost { get; set; }

    public int RebalanceTimeoutMs { get; set; }

    public int SessionTimeoutMs { get; set; }

    public required string ProtocolType { get; set; }

    /// <summary>Supported protocols in preference order, with this member's metadata for each.</summary>
    public required List<(string Name, byte[] Metadata)> Protocols { get; set; }

    public byte[] Assignment { get; set; } = [];

    /// <summary>Set while the member waits in JoinGroup for the rebalance to complete.</summary>
    public TaskCompletionSource<JoinGroupResponse>? AwaitingJoin { get; set; }

    /// <summary>Set while the member waits in SyncGroup for the leader's assignment.</summary>
    public TaskCompletionSource<SyncGroupResponse>? AwaitingSync { get; set; }

    /// <summary>Session expiry; replaced on every heartbeat.</summary>
    public TimerTask? SessionTimer { get; set; }

    /// <summary>Bumped on every heartbeat so that a stale expiry task does nothing.</summary>
    public long HeartbeatEpoch { get; set; }

    public byte[]? MetadataFor(string protocol)
    {
        foreach (var (name, metadata) in Protocols)
        {
            if (name == protocol)
            {
                return metadata;
            }
        }
        return null;
    }

    public bool HasSameProtocols(List<(string Name, byte[] Metadata)> protocols)
    {
        if (protocols.Count != Protocols.Count)
        {
            return false;
        }
        for (int i = 0; i < protocols.Count; i++)
        {
            if (protocols[i].Name != Protocols[i].Name || !protocols[i].Metadata.AsSpan().SequenceEqual(Protocols[i].Metadata))
            {
                return false;
            }
        }
        return true;
    }
}
