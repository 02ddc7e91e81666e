using Samsa.Client.Consumer.Assignors;
using Samsa.Protocol;

namespace Samsa.Client.Tests.Assignors;

public sealed class ConsumerProtocolCodecTests
{
    // Bytes kafka-python 2.0.2 produces (kafka.coordinator.protocol, encoded in pure Python):
    //   ConsumerProtocolMemberMetadata(0, ['orders', 'payments'], b'\x01\x02').encode()
    private static readonly byte[] KafkaPythonSubscription = Convert.FromHexString(
        "00000000000200066f726465727300087061796d656e7473000000020102");

    //   ConsumerProtocolMemberMetadata(0, ['orders'], None).encode()
    private static readonly byte[] KafkaPythonSubscriptionNullUserData = Convert.FromHexString(
        "00000000000100066f7264657273ffffffff");

    //   ConsumerProtocolMemberAssignment(0, [('orders', [0, 2]), ('payments', [1])], b'').encode()
    private static readonly byte[] KafkaPythonAssignment = Convert.FromHexString(
        "00000000000200066f726465727300000002000000000000000200087061796d656e7473000000010000000100000000");

    //   ConsumerProtocolMemberAssignment(0, [], None).encode()
    private static readonly byte[] KafkaPythonEmptyAssignment = Convert.FromHexString("000000000000ffffffff");

    // JoinGroup metadata librdkafka 2.0.2 (confluent-kafka-python 1.7, partition.assignment.strategy=cooperative-sticky)
    // sent, read back from the group with DescribeGroups: member c1 rejoining with orders-2 and orders-3, its user
    // data the sticky form ([orders [2, 3]], generation 2); member c2 with nothing owned.
    internal static readonly byte[] LibrdkafkaSubscriptionC1 = Convert.FromHexString(
        "00010000000100066f72646572730000001c0000000100066f7264657273000000020000000200000003000000020000000100066f7264657273000000020000000200000003");

    internal static readonly byte[] LibrdkafkaSubscriptionC2 = Convert.FromHexString(
        "00010000000100066f726465727300000008000000000000000200000000");

    // The assignment the librdkafka leader sent c1 in the same group.
    private static readonly byte[] LibrdkafkaAssignmentC1 = Convert.FromHexString(
        "00000000000100066f72646572730000000200000002000000030000001c0000000100066f726465727300000002000000020000000300000002");

    // Written by hand from the v3 schema: topics ["t"], user data AB, owned t-0 and t-2, generation 5, rack "r1".
    private static readonly byte[] SubscriptionV3 = Convert.FromHexString(
        "0003" + "00000001" + "000174" + "00000001AB" + "00000001" + "000174" + "00000002" + "00000000" + "00000002"
        + "00000005" + "00027231");

    [Fact]
    public void Decodes_kafka_python_subscription()
    {
        var subscription = ConsumerProtocolCodec.DecodeSubscription(KafkaPythonSubscription);

        Assert.Equal(0, subscription.Version);
        Assert.Equal(["orders", "payments"], subscription.Topics);
        Assert.Equal([1, 2], subscription.UserData);
        Assert.Empty(subscription.OwnedPartitions);
        Assert.Equal(-1, subscription.GenerationId);
        Assert.Null(subscription.RackId);
    }

    [Fact]
    public void Decodes_and_reencodes_librdkafka_v1_subscription()
    {
        var subscription = ConsumerProtocolCodec.DecodeSubscription(LibrdkafkaSubscriptionC1);

        Assert.Equal(1, subscription.Version);
        Assert.Equal(["orders"], subscription.Topics);
        Assert.Equal([new("orders", 2), new("orders", 3)], subscription.OwnedPartitions);
        Assert.Equal(-1, subscription.GenerationId);
        Assert.Equal(28, subscription.UserData!.Length);
        Assert.Equal(LibrdkafkaSubscriptionC1, ConsumerProtocolCodec.EncodeSubscription(subscription));

        var empty = ConsumerProtocolCodec.DecodeSubscription(LibrdkafkaSubscriptionC2);
        Assert.Empty(empty.OwnedPartitions);
        Assert.Equal(LibrdkafkaSubscriptionC2, ConsumerProtocolCodec.EncodeSubscription(empty));
    }

    [Fact]
    public void Decodes_and_reencodes_librdkafka_assignment()
    {
        var assignment = ConsumerProtocolCodec.DecodeAssignment(LibrdkafkaAssignmentC1);

        Assert.Equal(0, assignment.Version);
        Assert.Equal([new("orders", 2), new("orders", 3)], assignment.Partitions);
        Assert.Equal(28, assignment.UserData!.Length);
        Assert.Equal(LibrdkafkaAssignmentC1, ConsumerProtocolCodec.EncodeAssignment(assignment));
    }

    [Fact]
    public void Encodes_v0_subscription_as_kafka_python_does()
    {
        var subscription = new ConsumerProtocolSubscription { Version = 0, Topics = ["orders", "payments"], UserData = [1, 2] };
        Assert.Equal(KafkaPythonSubscription, ConsumerProtocolCodec.EncodeSubscription(subscription));

        var nullUserData = new ConsumerProtocolSubscription { Version = 0, Topics = ["orders"] };
        Assert.Equal(KafkaPythonSubscriptionNullUserData, ConsumerProtocolCodec.EncodeSubscription(nullUserData));
        Assert.Null(ConsumerProtocolCodec.DecodeSubscription(KafkaPythonSubscriptionNullUserData).UserData);
    }

    [Fact]
    public void Encodes_and_decodes_kafka_python_assignments()
    {
        var assignment = new ConsumerProtocolAssignment
        {
            Version = 0,
            Partitions = [new("orders", 0), new("orders", 2), new("payments", 1)],
            UserData = [],
        };
        Assert.Equal(KafkaPythonAssignment, ConsumerProtocolCodec.EncodeAssignment(assignment));

        var decoded = ConsumerProtocolCodec.DecodeAssignment(KafkaPythonAssignment);
        Assert.Equal(assignment.Partitions, decoded.Partitions);
        Assert.Equal([], decoded.UserData!);

        var empty = new ConsumerProtocolAssignment { Version = 0, Partitions = [] };
        Assert.Equal(KafkaPythonEmptyAssignment, ConsumerProtocolCodec.EncodeAssignment(empty));
        Assert.Empty(ConsumerProtocolCodec.DecodeAssignment(KafkaPythonEmptyAssignment).Partitions);
    }

    [Fact]
    public void Encodes_v3_subscription_field_by_field()
    {
        var subscription = new ConsumerProtocolSubscription
        {
            Topics = ["t"],
            UserData = [0xAB],
            OwnedPartitions = [new("t", 0), new("t", 2)],
            GenerationId = 5,
            RackId = "r1",
        };
        Assert.Equal(3, subscription.Version);
        Assert.Equal(SubscriptionV3, ConsumerProtocolCodec.EncodeSubscription(subscription));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Subscription_round_trips_the_fields_of_each_version(short version)
    {
        var original = new ConsumerProtocolSubscription
        {
            Version = version,
            Topics = ["a", "b"],
            UserData = [9, 8, 7],
            OwnedPartitions = [new("a", 1), new("b", 0), new("a", 3)],
            GenerationId = 42,
            RackId = "rack-1",
        };
        var decoded = ConsumerProtocolCodec.DecodeSubscription(ConsumerProtocolCodec.EncodeSubscription(original));

        Assert.Equal(version, decoded.Version);
        Assert.Equal(original.Topics, decoded.Topics);
        Assert.Equal(original.UserData, decoded.UserData);
        // Owned partitions travel grouped by topic.
        Assert.Equal(version >= 1 ? [new("a", 1), new("a", 3), new("b", 0)] : [], decoded.OwnedPartitions);
        Assert.Equal(version >= 2 ? 42 : -1, decoded.GenerationId);
        Assert.Equal(version >= 3 ? "rack-1" : null, decoded.RackId);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Assignment_round_trips_at_each_version(short version)
    {
        var original = new ConsumerProtocolAssignment { Version = version, Partitions = [new("x", 4), new("y", 0)], UserData = [1] };
        var decoded = ConsumerProtocolCodec.DecodeAssignment(ConsumerProtocolCodec.EncodeAssignment(original));

        Assert.Equal(version, decoded.Version);
        Assert.Equal(original.Partitions, decoded.Partitions);
        Assert.Equal(original.UserData, decoded.UserData);
    }

    [Fact]
    public void Newer_subscription_version_decodes_known_fields_and_ignores_the_rest()
    {
        byte[] future = [.. SubscriptionV3, 0xDE, 0xAD, 0xBE, 0xEF];
        future[1] = 7;

        var decoded = ConsumerProtocolCodec.DecodeSubscription(future);

        Assert.Equal(7, decoded.Version);
        Assert.Equal(["t"], decoded.Topics);
        Assert.Equal([new("t", 0), new("t", 2)], decoded.OwnedPartitions);
        Assert.Equal(5, decoded.GenerationId);
        Assert.Equal("r1", decoded.RackId);
    }

    [Fact]
    public void Newer_assignment_version_ignores_trailing_bytes()
    {
        byte[] future = [.. KafkaPythonAssignment, 0x01, 0x02];
        future[1] = 9;

        var decoded = ConsumerProtocolCodec.DecodeAssignment(future);

        Assert.Equal(9, decoded.Version);
        Assert.Equal(3, decoded.Partitions.Count);
    }

    [Fact]
    public void Every_truncation_of_a_subscription_is_a_protocol_error()
    {
        for (int length = 0; length < SubscriptionV3.Length; length++)
        {
            var prefix = SubscriptionV3.AsMemory(0, length);
            Assert.Throws<ProtocolException>(() => ConsumerProtocolCodec.DecodeSubscription(prefix));
        }
    }

    [Fact]
    public void Every_truncation_of_an_assignment_is_a_protocol_error()
    {
        for (int length = 0; length < KafkaPythonAssignment.Length; length++)
        {
            var prefix = KafkaPythonAssignment.AsMemory(0, length);
            Assert.Throws<ProtocolException>(() => ConsumerProtocolCodec.DecodeAssignment(prefix));
        }
    }

    [Fact]
    public void Lying_array_lengths_are_protocol_errors()
    {
        // A topic count of 2^31-1 in a 10-byte buffer, and a null topics array.
        Assert.Throws<ProtocolException>(() => ConsumerProtocolCodec.DecodeSubscription(Convert.FromHexString("00007fffffff0000ffff")));
        Assert.Throws<ProtocolException>(() => ConsumerProtocolCodec.DecodeSubscription(Convert.FromHexString("0000ffffffffffffffff")));
        // One topic whose partition count is 1,000,000.
        Assert.Throws<ProtocolException>(() => ConsumerProtocolCodec.DecodeAssignment(Convert.FromHexString("0000000000010001740000f42400000000")));
        // A negative string length.
        Assert.Throws<ProtocolException>(() => ConsumerProtocolCodec.DecodeAssignment(Convert.FromHexString("000000000001fffe")));
    }

    [Fact]
    public void Negative_version_is_a_protocol_error()
    {
        var error = Assert.Throws<ProtocolException>(() => ConsumerProtocolCodec.DecodeSubscription(Convert.FromHexString("ffff00000000ffffffff")));
        Assert.Contains("negative version", error.Message);
    }

    [Fact]
    public void Encoding_an_unknown_version_is_refused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() =>
            ConsumerProtocolCodec.EncodeSubscription(new ConsumerProtocolSubscription { Version = 4, Topics = ["t"] }));
        Assert.Throws<ArgumentOutOfRangeException>(() =>
            ConsumerProtocolCodec.EncodeAssignment(new ConsumerProtocolAssignment { Version = -1, Partitions = [] }));
    }

    [Fact]
    public void Admin_decoder_reads_the_same_format()
    {
        Assert.Equal(
            [new("orders", 0), new("orders", 2), new("payments", 1)],
            Samsa.Client.Admin.ConsumerProtocol.DecodeAssignment(KafkaPythonAssignment));
        Assert.Empty(Samsa.Client.Admin.ConsumerProtocol.DecodeAssignment([]));
    }
}
