using Samsa.Protocol;

namespace Samsa.Client.Consumer.Assignors;

/// <summary>
/// Encodes and decodes the "consumer" protocol type's JoinGroup metadata and SyncGroup assignment.
/// Neither is flexible (no tagged fields, classic int16/int32 lengths); newer versions only append fields:
/// <code>
/// Subscription v0: int16 version, [string topic], nullable bytes user_data
///              v1: + [string topic, [int32 partition]] owned_partitions
///              v2: + int32 generation_id
///              v3: + nullable string rack_id
/// Assignment v0-v3: int16 version, [string topic, [int32 partition]] partitions, nullable bytes user_data
/// </code>
/// A decoder reads the fields of every version it knows, up to the one on the wire, and ignores the bytes
/// after them, so a newer client's metadata still decodes (as Kafka's ConsumerProtocol does).
/// Malformed input throws <see cref="ProtocolException"/>. Stateless and thread-safe.
/// </summary>
public static class ConsumerProtocolCodec
{
    public const short HighestSubscriptionVersion = 3;
    public const short HighestAssignmentVersion = 3;

    public static byte[] EncodeSubscription(ConsumerProtocolSubscription subscription)
    {
        short version = subscription.Version;
        if (version < 0 || version > HighestSubscriptionVersion)
        {
            throw new ArgumentOutOfRangeException(nameof(subscription), version, $"subscription versions are 0 to {HighestSubscriptionVersion}");
        }
        var owned = GroupByTopic(subscription.OwnedPartitions);

        int size = 2 + 4 + ProtocolSize.NullableBytes(subscription.UserData, false);
        foreach (string topic in subscription.Topics)
        {
            size += ProtocolSize.String(topic, false);
        }
        if (version >= 1)
        {
            size += TopicPartitionsSize(owned);
        }
        if (version >= 2)
        {
            size += 4;
        }
        if (version >= 3)
        {
            size += ProtocolSize.NullableString(subscription.RackId, false);
        }

        var buffer = new byte[size];
        var writer = new ProtocolWriter(buffer);
        writer.WriteInt16(version);
        writer.WriteArrayLength(subscription.Topics.Count, false);
        foreach (string topic in subscription.Topics)
        {
            writer.WriteString(topic, false);
        }
        writer.WriteNullableBytes(subscription.UserData, false);
        if (version >= 1)
        {
            WriteTopicPartitions(ref writer, owned);
        }
        if (version >= 2)
        {
            writer.WriteInt32(subscription.GenerationId);
        }
        if (version >= 3)
        {
            writer.WriteNullableString(subscription.RackId, false);
        }
        return buffer;
    }

    public static ConsumerProtocolSubscription DecodeSubscription(ReadOnlyMemory<byte> bytes)
    {
        var reader = new ProtocolReader(bytes);
        short version = ReadVersion(ref reader, "subscription");
        try
        {
            int topicCount = ReadCount(ref reader, "topics");
            var topics = new List<string>(topicCount);
            for (int i = 0; i < topicCount; i++)
            {
                topics.Add(reader.ReadString(false));
            }
            byte[]? userData = reader.ReadNullableBytes(false);
            IReadOnlyList<TopicPartition> owned = version >= 1 ? ReadTopicPartitions(ref reader, "owned partitions") : [];
            int generationId = version >= 2 ? reader.ReadInt32() : -1;
            string? rackId = version >= 3 ? reader.ReadNullableString(false) : null;
            return new ConsumerProtocolSubscription
            {
                Version = version,
                Topics = topics,
                UserData = userData,
                OwnedPartitions = owned,
                GenerationId = generationId,
                RackId = rackId,
            };
        }
        catch (ProtocolException e)
        {
            throw new ProtocolException($"malformed consumer protocol subscription v{version}: {e.Message}");
        }
    }

    public static byte[] EncodeAssignment(ConsumerProtocolAssignment assignment)
    {
        short version = assignment.Version;
        if (version < 0 || version > HighestAssignmentVersion)
        {
            throw new ArgumentOutOfRangeException(nameof(assignment), version, $"assignment versions are 0 to {HighestAssignmentVersion}");
        }
        var byTopic = GroupByTopic(assignment.Partitions);
        var buffer = new byte[2 + TopicPartitionsSize(byTopic) + ProtocolSize.NullableBytes(assignment.UserData, false)];
        var writer = new ProtocolWriter(buffer);
        writer.WriteInt16(version);
        WriteTopicPartitions(ref writer, byTopic);
        writer.WriteNullableBytes(assignment.UserData, false);
        return buffer;
    }

    public static ConsumerProtocolAssignment DecodeAssignment(ReadOnlyMemory<byte> bytes)
    {
        var reader = new ProtocolReader(bytes);
        short version = ReadVersion(ref reader, "assignment");
        try
        {
            var partitions = ReadTopicPartitions(ref reader, "partitions");
            byte[]? userData = reader.ReadNullableBytes(false);
            return new ConsumerProtocolAssignment { Version = version, Partitions = partitions, UserData = userData };
        }
        catch (ProtocolException e)
        {
            throw new ProtocolException($"malformed consumer protocol assignment v{version}: {e.Message}");
        }
    }

    /// <summary>
    /// The [string topic, [int32 partition]] list that the consumer protocol and the sticky assignors' user data share.
    /// </summary>
    internal static List<TopicPartition> ReadTopicPartitions(ref ProtocolReader reader, string field)
    {
        int topicCount = ReadCount(ref reader, field);
        var result = new List<TopicPartition>();
        for (int t = 0; t < topicCount; t++)
        {
            string topic = reader.ReadString(false);
            int partitionCount = ReadCount(ref reader, field);
            for (int p = 0; p < partitionCount; p++)
            {
                result.Add(new TopicPartition(topic, reader.ReadInt32()));
            }
        }
        return result;
    }

    private static short ReadVersion(ref ProtocolReader reader, string what)
    {
        if (reader.Remaining < 2)
        {
            throw new ProtocolException($"consumer protocol {what} of {reader.Remaining} bytes has no version");
        }
        short version = reader.ReadInt16();
        if (version < 0)
        {
            throw new ProtocolException($"consumer protocol {what} has negative version {version}");
        }
        return version;
    }

    private static int ReadCount(ref ProtocolReader reader, string field)
    {
        int count = reader.ReadArrayLength(false);
        if (count < 0)
        {
            throw new ProtocolException($"null {field} array");
        }
        return count;
    }

    private static List<IGrouping<string, TopicPartition>> GroupByTopic(IReadOnlyList<TopicPartition> partitions) =>
        partitions.GroupBy(p => p.Topic, StringComparer.Ordinal).ToList();

    private static int TopicPartitionsSize(List<IGrouping<string, TopicPartition>> byTopic)
    {
        int size = 4;
        foreach (var group in byTopic)
        {
            size += ProtocolSize.String(group.Key, false) + 4 + (4 * group.Count());
        }
        return size;
    }

    private static void WriteTopicPartitions(ref ProtocolWriter writer, List<IGrouping<string, TopicPartition>> byTopic)
    {
        writer.WriteArrayLength(byTopic.Count, false);
        foreach (var group in byTopic)
        {
            writer.WriteString(group.Key, false);
            writer.WriteArrayLength(group.Count(), false);
            foreach (var partition in group)
            {
                writer.WriteInt32(partition.Partition);
            }
        }
    }
}
