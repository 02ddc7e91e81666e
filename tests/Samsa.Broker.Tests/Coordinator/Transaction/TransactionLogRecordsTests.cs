using System.Buffers.Binary;
using Samsa.Broker.Coordinator.Transaction;
using Samsa.Protocol;

namespace Samsa.Broker.Tests.Coordinator.Transaction;

public sealed class TransactionLogRecordsTests
{
    [Fact]
    public void Key_is_version_0_and_the_transactional_id()
    {
        byte[] key = TransactionLogRecords.Key("app");
        Assert.Equal(new byte[] { 0, 0, 0, 3, (byte)'a', (byte)'p', (byte)'p' }, key);
        Assert.Equal("app", TransactionLogRecords.ReadKey(key));
        Assert.Null(TransactionLogRecords.ReadKey([0, 1, 0, 0]));
    }

    [Fact]
    public void Value_round_trips_in_Kafkas_layout()
    {
        var value = new TransactionLogValue(4242, 7, 60_000, TransactionState.Ongoing,
            [new TopicPartition("b", 2), new TopicPartition("a", 1), new TopicPartition("b", 0)], 1_700_000_000_123, 1_700_000_000_000);
        byte[] bytes = TransactionLogRecords.Value(value);

        Assert.Equal(0, BinaryPrimitives.ReadInt16BigEndian(bytes));
        Assert.Equal(4242, BinaryPrimitives.ReadInt64BigEndian(bytes.AsSpan(2)));
        Assert.Equal(7, BinaryPrimitives.ReadInt16BigEndian(bytes.AsSpan(10)));
        Assert.Equal(60_000, BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(12)));
        Assert.Equal(1, bytes[16]);
        Assert.Equal(2, BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(17)));
        Assert.Equal(1_700_000_000_000, BinaryPrimitives.ReadInt64BigEndian(bytes.AsSpan(bytes.Length - 8)));

        var read = TransactionLogRecords.ReadValue(bytes);
        Assert.Equal((4242L, (short)7, 60_000, TransactionState.Ongoing, 1_700_000_000_123L, 1_700_000_000_000L),
            (read.ProducerId, read.ProducerEpoch, read.TimeoutMs, read.State, read.LastUpdateTimestampMs, read.StartTimestampMs));
        Assert.Equal(["a-1", "b-0", "b-2"], read.Partitions.Select(p => p.ToString()));
    }

    [Fact]
    public void An_Empty_value_has_a_null_partition_array()
    {
        byte[] bytes = TransactionLogRecords.Value(new TransactionLogValue(9, 3, 1000, TransactionState.Empty, [], 5, -1));
        Assert.Equal(0, bytes[16]);
        Assert.Equal(-1, BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(17)));
        Assert.Equal(2 + 8 + 2 + 4 + 1 + 4 + 8 + 8, bytes.Length);
        var read = TransactionLogRecords.ReadValue(bytes);
        Assert.Equal((TransactionState.Empty, -1L), (read.State, read.StartTimestampMs));
        Assert.Empty(read.Partitions);
    }

    [Fact]
    public void A_flexible_v1_value_is_read()
    {
        var bytes = new List<byte> { 0, 1 };
        bytes.AddRange(BigEndian(77L));
        bytes.AddRange([0, 2]);
        bytes.AddRange(BigEndian(5000));
        bytes.Add((byte)TransactionState.Ongoing);
        bytes.Add(2); // compact array: one topic
        bytes.AddRange([2, (byte)'a']); // compact string "a"
        bytes.Add(2); // compact array: one partition
        bytes.AddRange(BigEndian(5));
        bytes.Add(0); // the topic's tagged fields
        bytes.AddRange(BigEndian(123L));
        bytes.AddRange(BigEndian(100L));
        bytes.AddRange([1, 9, 1, 0]); // one unknown tagged field (tag 9, one byte)

        var read = TransactionLogRecords.ReadValue(bytes.ToArray());
        Assert.Equal((77L, (short)2, 5000, TransactionState.Ongoing, 123L, 100L),
            (read.ProducerId, read.ProducerEpoch, read.TimeoutMs, read.State, read.LastUpdateTimestampMs, read.StartTimestampMs));
        Assert.Equal([new TopicPartition("a", 5)], read.Partitions);
    }

    private static byte[] BigEndian(long value)
    {
        var bytes = new byte[8];
        BinaryPrimitives.WriteInt64BigEndian(bytes, value);
        return bytes;
    }

    private static byte[] BigEndian(int value)
    {
        var bytes = new byte[4];
        BinaryPrimitives.WriteInt32BigEndian(bytes, value);
        return bytes;
    }

    [Fact]
    public void A_truncated_value_is_rejected()
    {
        byte[] bytes = TransactionLogRecords.Value(new TransactionLogValue(1, 0, 1000, TransactionState.Empty, [], 5, -1));
        Assert.Throws<ProtocolException>(() => TransactionLogRecords.ReadValue(bytes.AsSpan(0, bytes.Length - 3)));
    }
}
