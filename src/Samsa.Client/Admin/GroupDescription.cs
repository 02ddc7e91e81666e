using Samsa.Protocol;

namespace Samsa.Client.Admin;

/// <summary>A consumer group as DescribeGroups reports it, with each member's assigned partitions decoded.</summary>
public sealed record GroupDescription(string GroupId, string State, string ProtocolType, string Protocol, IReadOnlyList<GroupMemberDescription> Members);

public sealed record GroupMemberDescription(string MemberId, string? GroupInstanceId, string ClientId, string Host, IReadOnlyList<TopicPartition> Assignment);

public sealed record GroupListing(string GroupId, string ProtocolType, string State);
