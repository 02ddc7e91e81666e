using Samsa.Broker.Tests.Infrastructure;
using Samsa.Protocol;
using Samsa.Protocol.Messages;

namespace Samsa.Broker.Tests.Coordinator;

/// <summary>Raw group-protocol calls for coordinator tests, each on its own connection (as one consumer would have).</summary>
internal sealed class GroupClient(RawConnection connection) : IDisposable
{
    public RawConnection Connection { get; } = connection;

    public static async Task<GroupClient> ConnectAsync(TestBroker broker) => new(await broker.ConnectAsync());

    public static JoinGroupRequest JoinRequest(string group, string memberId = "", string protocolType = "consumer",
        string[]? protocols = null, int sessionTimeoutMs = 10_000, string? instanceId = null) => new()
    {
        GroupId = group,
        MemberId = memberId,
        ProtocolType = protocolType,
        SessionTimeoutMs = sessionTimeoutMs,
        RebalanceTimeoutMs = 10_000,
        GroupInstanceId = instanceId,
        Protocols = (protocols ?? ["range"]).Select(p => new JoinGroupRequest.JoinGroupRequestProtocol { Name = p, Metadata = [1, 2, 3] }).ToList(),
    };

    public Task<JoinGroupResponse> JoinAsync(JoinGroupRequest request, short version = 7) => Connection.SendAsync<JoinGroupResponse>(request, version);

    /// <summary>The v4+ dance: ask for a member id, then join with it.</summary>
    public async Task<JoinGroupResponse> JoinNewMemberAsync(string group, int sessionTimeoutMs = 10_000, string[]? protocols = null)
    {
        var first = await JoinAsync(JoinRequest(group, sessionTimeoutMs: sessionTimeoutMs, protocols: protocols));
        Assert.Equal((short)ErrorCode.MemberIdRequired, first.ErrorCode);
        Assert.NotEmpty(first.MemberId);
        return await JoinAsync(JoinRequest(group, first.MemberId, sessionTimeoutMs: sessionTimeoutMs, protocols: protocols));
    }

    public Task<SyncGroupResponse> SyncAsync(string group, int generation, string memberId, params (string MemberId, byte[] Assignment)[] assignments) =>
        Connection.SendAsync<SyncGroupResponse>(new SyncGroupRequest
        {
            GroupId = group,
            GenerationId = generation,
            MemberId = memberId,
            Assignments = assignments.Select(a => new SyncGroupRequest.SyncGroupRequestAssignment { MemberId = a.MemberId, Assignment = a.Assignment }).ToList(),
        }, 5);

    public async Task<ErrorCode> HeartbeatAsync(string group, int generation, string memberId, string? instanceId = null) =>
        (ErrorCode)(await Connection.SendAsync<HeartbeatResponse>(new HeartbeatRequest
        {
            GroupId = group,
            GenerationId = generation,
            MemberId = memberId,
            GroupInstanceId = instanceId,
        }, 4)).ErrorCode;

    public async Task<ErrorCode> CommitAsync(string group, int generation, string memberId, string topic, int partition, long offset, string? metadata = null)
    {
        var request = new OffsetCommitRequest { GroupId = group, GenerationIdOrMemberEpoch = generation, MemberId = memberId };
        var t = new OffsetCommitRequest.OffsetCommitRequestTopic { Name = topic };
        t.Partitions.Add(new OffsetCommitRequest.OffsetCommitRequestPartition { PartitionIndex = partition, CommittedOffset = offset, CommittedMetadata = metadata });
        request.Topics.Add(t);
        var response = await Connection.SendAsync<OffsetCommitResponse>(request, 8);
        return (ErrorCode)response.Topics[0].Partitions[0].ErrorCode;
    }

    public async Task<(long Offset, string? Metadata)> FetchOffsetAsync(string group, string topic, int partition)
    {
        var request = new OffsetFetchRequest { GroupId = group, Topics = [new OffsetFetchRequest.OffsetFetchRequestTopic { Name = topic, PartitionIndexes = [partition] }] };
        var response = await Connection.SendAsync<OffsetFetchResponse>(request, 7);
        var p = response.Topics[0].Partitions[0];
        return (p.CommittedOffset, p.Metadata);
    }

    public void Dispose() => Connection.Dispose();
}
