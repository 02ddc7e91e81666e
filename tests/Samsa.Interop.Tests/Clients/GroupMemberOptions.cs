namespace Samsa.Interop.Tests.Clients;

/// <summary>
/// How a group member driver (clients/python/group_member_*.py,
/// clients/node/group_member.js) consumes. <see cref="ClientId"/> names the
/// member in DescribeGroups answers, so it must be unique within a group.
/// </summary>
public sealed record GroupMemberOptions(string Topic, string Group, string ClientId)
{
    /// <summary>"earliest" or "latest", as auto.offset.reset.</summary>
    public string AutoOffsetReset { get; init; } = "earliest";

    public GroupCommitMode Commit { get; init; } = GroupCommitMode.Auto;

    public int SessionTimeoutMs { get; init; } = 4000;

    public int HeartbeatIntervalMs { get; init; } = 300;

    public int AutoCommitIntervalMs { get; init; } = 200;

    /// <summary>group.instance.id (static membership); null for a dynamic member.</summary>
    public string? GroupInstanceId { get; init; }

    /// <summary>The member closes itself after this many records; 0 for no limit.</summary>
    public int ExpectedRecords { get; init; }

    /// <summary>The member closes itself after this long without a record; 0 for never.</summary>
    public int IdleExitMs { get; init; }

    /// <summary>The member closes itself after this long in any case, so no driver outlives a test.</summary>
    public int MaxSeconds { get; init; } = 150;
}
