using Samsa.Client.Admin;
using Samsa.Protocol;

namespace Samsa.Client.Consumer;

/// <summary>A member as JoinGroup reports it to the leader: its id, static instance id and protocol metadata.</summary>
internal readonly record struct JoinedMember(string MemberId, string? GroupInstanceId, byte[] Metadata);

/// <summary>
/// What the group membership code needs from an assignment strategy: the JoinGroup metadata this member sends, the
/// topics in another member's metadata, the leader's assignment (member id to SyncGroup bytes) and the decoding of
/// this member's share. Implementations are stateless and thread-safe.
/// </summary>
internal interface IGroupAssignor
{
    /// <summary>The protocol name in JoinGroup.</summary>
    string Name { get; }

    /// <summary>True for KIP-429 assignors: members keep their partitions while rejoining.</summary>
    bool IsCooperative { get; }

    byte[] Subscription(IReadOnlyList<string> topics, IReadOnlyCollection<TopicPartition> owned, int generationId);

    IReadOnlyList<string> SubscribedTopics(byte[] metadata);

    Dictionary<string, byte[]> Assign(IReadOnlyList<JoinedMember> members, IReadOnlyDictionary<string, int> partitionsPerTopic);

    IReadOnlyList<TopicPartition> DecodeAssignment(byte[] assignment);
}

/// <summary>
/// The "range" strategy over subscription v0 metadata (int16 version, [string topic], nullable bytes user data):
/// per topic, members sorted by id get consecutive partitions, the first ones one extra when the count does not
/// divide. Stateless.
/// </summary>
internal sealed class BasicRangeAssignor : IGroupAssignor
{
    public static readonly BasicRangeAssignor Instance = new();

    public string Name => "range";

    public bool IsCooperative => false;

    public byte[] Subscription(IReadOnlyList<string> topics, IReadOnlyCollection<TopicPartition> owned, int generationId)
    {
        int size = 2 + 4 + 4;
        foreach (string topic in topics)
        {
            size += ProtocolSize.String(topic, false);
        }
        var buffer = new byte[size];
        var writer = new ProtocolWriter(buffer);
        writer.WriteInt16(0);
        writer.WriteInt32(topics.Count);
        foreach (string topic in topics)
        {
            writer.WriteString(topic, false);
        }
        writer.WriteInt32(-1);
        return buffer;
    }

    public IReadOnlyList<string> SubscribedTopics(byte[] metadata)
    {
        var reader = new ProtocolReader(metadata);
        reader.ReadInt16();
        int count = reader.ReadArrayLength(false);
        var topics = new List<string>(Math.Max(count, 0));
        for (int i = 0; i < count; i++)
        {
            topics.Add(reader.ReadString(false));
        }
        return topics;
    }

    public Dictionary<string, byte[]> Assign(IReadOnlyList<JoinedMember> members, IReadOnlyDictionary<string, int> partitionsPerTopic)
    {
        var byMember = members.ToDictionary(m => m.MemberId, _ => new List<TopicPartition>(), StringComparer.Ordinal);
        var subscribers = new SortedDictionary<string, List<string>>(StringComparer.Ordinal);
        foreach (var member in members)
        {
            foreach (string topic in SubscribedTopics(member.Metadata))
            {
                if (!subscribers.TryGetValue(topic, out var list))
                {
                    subscribers[topic] = list = [];
                }
                list.Add(member.MemberId);
            }
        }
        foreach (var (topic, ids) in subscribers)
        {
            if (!partitionsPerTopic.TryGetValue(topic, out int count))
            {
                continue;
            }
            ids.Sort(StringComparer.Ordinal);
            int each = count / ids.Count;
            int extra = count % ids.Count;
            int next = 0;
            for (int i = 0; i < ids.Count; i++)
            {
                int take = each + (i < extra ? 1 : 0);
                for (int p = 0; p < take; p++)
                {
                    byMember[ids[i]].Add(new TopicPartition(topic, next++));
                }
            }
        }
        return byMember.ToDictionary(kv => kv.Key, kv => ConsumerProtocol.EncodeAssignment(kv.Value), StringComparer.Ordinal);
    }

    public IReadOnlyList<TopicPartition> DecodeAssignment(byte[] assignment) => ConsumerProtocol.DecodeAssignment(assignment);
}
