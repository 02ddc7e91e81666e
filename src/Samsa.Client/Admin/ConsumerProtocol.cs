using Samsa.Protocol;

namespace Samsa.Client.Admin;

/// <summary>
/// The consumer protocol's assignment bytes (what SyncGroup carries for protocol type "consumer"):
/// int16 version, then [string topic, [int32 partition]], then nullable bytes user data (v1+ adds
/// owned partitions to subscriptions only).
/// </summary>
public static class ConsumerProtocol
{
    public static IReadOnlyList<TopicPartition> DecodeAssignment(byte[] assignment)
    {
        var result = new List<TopicPartition>();
        if (assignment.Length < 2)
        {
            return result;
        }
        var reader = new ProtocolReader(assignment);
        reader.ReadInt16();
        int topics = reader.ReadArrayLength(false);
        for (int t = 0; t < topics; t++)
        {
            string topic = reader.ReadString(false);
            int partitions = reader.ReadArrayLength(false);
            for (int p = 0; p < partitions; p++)
            {
                result.Add(new TopicPartition(topic, reader.ReadInt32()));
            }
        }
        return result;
    }

    public static byte[] EncodeAssignment(IReadOnlyList<TopicPartition> partitions)
    {
        var byTopic = partitions.GroupBy(p => p.Topic).ToList();
        int size = 2 + 4 + byTopic.Sum(g => ProtocolSize.String(g.Key, false) + 4 + (4 * g.Count())) + 4;
        var buffer = new byte[size];
        var writer = new ProtocolWriter(buffer);
        writer.WriteInt16(0);
        writer.WriteInt32(byTopic.Count);
        foreach (var group in byTopic)
        {
            writer.WriteString(group.Key, false);
            writer.WriteInt32(group.Count());
            foreach (var p in group)
            {
                writer.WriteInt32(p.Partition);
            }
        }
        writer.WriteInt32(-1);
        return buffer;
    }
}
