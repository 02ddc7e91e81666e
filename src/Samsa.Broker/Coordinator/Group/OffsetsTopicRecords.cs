using Samsa.Protocol;

namespace Samsa.Broker.Coordinator.Group;

/// <summary>
/// Keys and values of the records in __consumer_offsets, in Kafka's own layouts (classic, non-flexible
/// encoding, all big-endian) so the topic reads like Kafka's:
/// <list type="bullet">
/// <item>offset commit key v1: int16 version=1, string group, string topic, int32 partition</item>
/// <item>offset commit value v3: int16 version=3, int64 offset, int32 leader epoch, string metadata, int64 commit timestamp</item>
/// <item>group metadata key v2: int16 version=2, string group</item>
/// <item>group metadata value v3: int16 version=3, string protocol type, int32 generation, nullable string protocol,
/// nullable string leader, int64 state timestamp, int32 count then per member: string member id, nullable string
/// instance id, string client id, string client host, int32 rebalance timeout, int32 session timeout,
/// bytes subscription, bytes assignment</item>
/// </list>
/// A null value is a tombstone. Offset values v0-v2 (older Kafka) are read too.
/// Transactional offset commits (TxnOffsetCommit) use the same offset records, in a batch of the producer (its producer
/// id and epoch, base sequence -1, transactional flag set); the producer's later COMMIT or ABORT control batch in the
/// same partition decides whether they count.
/// </summary>
internal static class OffsetsTopicRecords
{
    public const short OffsetCommitKeyVersion = 1;
    public const short GroupMetadataKeyVersion = 2;

    public static byte[] OffsetCommitKey(string group, TopicPartition partition)
    {
        var buffer = new byte[2 + ProtocolSize.String(group, false) + ProtocolSize.String(partition.Topic, false) + 4];
        var writer = new ProtocolWriter(buffer);
        writer.WriteInt16(OffsetCommitKeyVersion);
        writer.WriteString(group, false);
        writer.WriteString(partition.Topic, false);
        writer.WriteInt32(partition.Partition);
        return buffer;
    }

    public static byte[] OffsetCommitValue(CommittedOffset offset)
    {
        string metadata = offset.Metadata ?? "";
        var buffer = new byte[2 + 8 + 4 + ProtocolSize.String(metadata, false) + 8];
        var writer = new ProtocolWriter(buffer);
        writer.WriteInt16(3);
        writer.WriteInt64(offset.Offset);
        writer.WriteInt32(offset.LeaderEpoch);
        writer.WriteString(metadata, false);
        writer.WriteInt64(offset.CommitTimestampMs);
        return buffer;
    }

    public static byte[] GroupMetadataKey(string group)
    {
        var buffer = new byte[2 + ProtocolSize.String(group, false)];
        var writer = new ProtocolWriter(buffer);
        writer.WriteInt16(GroupMetadataKeyVersion);
        writer.WriteString(group, false);
        return buffer;
    }

    public static byte[] GroupMetadataValue(GroupMetadata group)
    {
        string protocolType = group.ProtocolType ?? "";
        int size = 2 + ProtocolSize.String(protocolType, false) + 4 + ProtocolSize.NullableString(group.ProtocolName, false)
            + ProtocolSize.NullableString(group.LeaderId, false) + 8 + 4;
        foreach (var m in group.Members.Values)
        {
            size += ProtocolSize.String(m.MemberId, false) + ProtocolSize.NullableString(m.GroupInstanceId, false)
                + ProtocolSize.String(m.ClientId, false) + ProtocolSize.String(m.ClientHost, false) + 8
                + 4 + (group.ProtocolName is null ? 0 : m.MetadataFor(group.ProtocolName)?.Length ?? 0) + 4 + m.Assignment.Length;
        }
        var buffer = new byte[size];
        var writer = new ProtocolWriter(buffer);
        writer.WriteInt16(3);
        writer.WriteString(protocolType, false);
        writer.WriteInt32(group.GenerationId);
        writer.WriteNullableString(group.ProtocolName, false);
        writer.WriteNullableString(group.LeaderId, false);
        writer.WriteInt64(group.StateTimestampMs);
        writer.WriteInt32(group.Members.Count);
        foreach (var m in group.Members.Values)
        {
            writer.WriteString(m.MemberId, false);
            writer.WriteNullableString(m.GroupInstanceId, false);
            writer.WriteString(m.ClientId, false);
            writer.WriteString(m.ClientHost, false);
            writer.WriteInt32(m.RebalanceTimeoutMs);
            writer.WriteInt32(m.SessionTimeoutMs);
            writer.WriteBytes(group.ProtocolName is null ? [] : m.MetadataFor(group.ProtocolName) ?? [], false);
            writer.WriteBytes(m.Assignment, false);
        }
        return buffer;
    }

    /// <summary>What a record of __consumer_offsets says, decoded.</summary>
    internal abstract record Entry(string Group);

    internal sealed record OffsetEntry(string Group, TopicPartition Partition, CommittedOffset? Offset) : Entry(Group);

    internal sealed record GroupEntry(string Group, StoredGroup? Value) : Entry(Group);

    internal sealed record StoredMember(string MemberId, string? GroupInstanceId, string ClientId, string ClientHost,
        int RebalanceTimeoutMs, int SessionTimeoutMs, byte[] Subscription, byte[] Assignment);

    internal sealed record StoredGroup(string ProtocolType, int Generation, string? Protocol, string? Leader, long StateTimestampMs,
        IReadOnlyList<StoredMember> Members);

    /// <summary>Decodes one record; null for a key version this broker does not know (skipped, as Kafka does).</summary>
    public static Entry? Decode(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, bool valueIsNull)
    {
        var keyReader = new ProtocolReader(key.ToArray());
        short keyVersion = keyReader.ReadInt16();
        if (keyVersion is 0 or 1)
        {
            string group = keyReader.ReadString(false);
            string topic = keyReader.ReadString(false);
            int partition = keyReader.ReadInt32();
            return new OffsetEntry(group, new TopicPartition(topic, partition), valueIsNull ? null : DecodeOffset(value));
        }
        if (keyVersion == GroupMetadataKeyVersion)
        {
            string group = keyReader.ReadString(false);
            return new GroupEntry(group, valueIsNull ? null : DecodeGroup(value));
        }
        return null;
    }

    private static CommittedOffset DecodeOffset(ReadOnlySpan<byte> value)
    {
        var reader = new ProtocolReader(value.ToArray());
        short version = reader.ReadInt16();
        long offset = reader.ReadInt64();
        int leaderEpoch = version >= 3 ? reader.ReadInt32() : -1;
        string metadata = reader.ReadString(false);
        long timestamp = reader.ReadInt64();
        return new CommittedOffset(offset, leaderEpoch, metadata, timestamp);
    }

    private static StoredGroup DecodeGroup(ReadOnlySpan<byte> value)
    {
        var reader = new ProtocolReader(value.ToArray());
        short version = reader.ReadInt16();
        string protocolType = reader.ReadString(false);
        int generation = reader.ReadInt32();
        string? protocol = reader.ReadNullableString(false);
        string? leader = reader.ReadNullableString(false);
        long timestamp = version >= 2 ? reader.ReadInt64() : -1;
        int count = reader.ReadArrayLength(false);
        var members = new List<StoredMember>(Math.Max(0, count));
        for (int i = 0; i < count; i++)
        {
            string memberId = reader.ReadString(false);
            string? instanceId = version >= 3 ? reader.ReadNullableString(false) : null;
            string clientId = reader.ReadString(false);
            string clientHost = reader.ReadString(false);
            int rebalanceTimeout = version >= 1 ? reader.ReadInt32() : 0;
            int sessionTimeout = reader.ReadInt32();
            byte[] subscription = reader.ReadBytes(false);
            byte[] assignment = reader.ReadBytes(false);
            members.Add(new StoredMember(memberId, instanceId, clientId, clientHost, rebalanceTimeout, sessionTimeout, subscription, assignment));
        }
        return new StoredGroup(protocolType, generation, protocol, leader, timestamp, members);
    }
}
