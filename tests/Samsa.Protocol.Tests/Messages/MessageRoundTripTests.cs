using System.Collections;
using System.Reflection;
using Samsa.Protocol.Messages;

namespace Samsa.Protocol.Tests.Messages;

/// <summary>
/// Every generated message, in every version it has, survives Size, Write and Read unchanged;
/// a few hand-built byte strings from the protocol guide decode and encode exactly.
/// </summary>
public sealed class MessageRoundTripTests
{
    private static readonly Assembly ProtocolAssembly = typeof(ProtocolReader).Assembly;

    /// <summary>Every (message type, version) pair the generated code claims to support.</summary>
    public static TheoryData<string, short> AllMessageVersions()
    {
        var data = new TheoryData<string, short>();
        foreach (var type in MessageTypes())
        {
            short lowest = ConstOf(type, "LowestVersion");
            short highest = ConstOf(type, "HighestVersion");
            for (short v = lowest; v <= highest; v++)
            {
                data.Add(type.Name, v);
            }
        }
        return data;
    }

    [Fact]
    public void Every_schema_produces_a_message_type()
    {
        var names = MessageTypes().Select(t => t.Name).ToHashSet(StringComparer.Ordinal);
        string[] apis =
        [
            "Produce", "Fetch", "ListOffsets", "Metadata", "OffsetCommit", "OffsetFetch", "FindCoordinator",
            "JoinGroup", "Heartbeat", "LeaveGroup", "SyncGroup", "DescribeGroups", "ListGroups", "SaslHandshake",
            "ApiVersions", "CreateTopics", "DeleteTopics", "DeleteRecords", "InitProducerId", "OffsetForLeaderEpoch",
            "AddPartitionsToTxn", "AddOffsetsToTxn", "EndTxn", "WriteTxnMarkers", "TxnOffsetCommit", "DescribeConfigs",
            "AlterConfigs", "SaslAuthenticate", "CreatePartitions", "DeleteGroups", "IncrementalAlterConfigs",
            "DescribeCluster", "DescribeTransactions", "ListTransactions",
        ];
        foreach (string api in apis)
        {
            Assert.Contains(api + "Request", names);
            Assert.Contains(api + "Response", names);
        }
    }

    [Theory]
    [MemberData(nameof(AllMessageVersions))]
    public void Filled_message_round_trips(string typeName, short version)
    {
        var message = NewMessage(typeName);
        var filler = new Filler();
        filler.Fill(message);
        AssertRoundTrip(message, typeName, version);
    }

    [Theory]
    [MemberData(nameof(AllMessageVersions))]
    public void Default_message_round_trips(string typeName, short version)
    {
        AssertRoundTrip(NewMessage(typeName), typeName, version);
    }

    // ---- Hand-built bytes ----

    [Fact]
    public void ApiVersions_request_v0_is_empty()
    {
        var request = Decode<ApiVersionsRequest>([], 0);
        Assert.Equal("", request.ClientSoftwareName);
        Assert.Empty(Encode(new ApiVersionsRequest { ClientSoftwareName = "ignored" }, 0));
    }

    [Fact]
    public void ApiVersions_request_v3_uses_compact_strings_and_a_tag_section()
    {
        byte[] bytes =
        [
            0x06, (byte)'s', (byte)'a', (byte)'m', (byte)'s', (byte)'a', // compact string: length 5 + 1
            0x04, (byte)'1', (byte)'.', (byte)'0',                      // compact string: length 3 + 1
            0x00,                                                       // no tagged fields
        ];
        var request = Decode<ApiVersionsRequest>(bytes, 3);
        Assert.Equal("samsa", request.ClientSoftwareName);
        Assert.Equal("1.0", request.ClientSoftwareVersion);
        Assert.Equal(bytes, Encode(request, 3));
    }

    [Fact]
    public void ApiVersions_response_v0_has_error_code_then_api_keys()
    {
        byte[] bytes =
        [
            0x00, 0x23,             // ErrorCode 35 UNSUPPORTED_VERSION
            0x00, 0x00, 0x00, 0x01, // one ApiKeys entry
            0x00, 0x12,             // ApiKey 18
            0x00, 0x00,             // MinVersion 0
            0x00, 0x03,             // MaxVersion 3
        ];
        var response = Decode<ApiVersionsResponse>(bytes, 0);
        Assert.Equal(35, response.ErrorCode);
        var key = Assert.Single(response.ApiKeys);
        Assert.Equal(18, key.ApiKey);
        Assert.Equal(0, key.MinVersion);
        Assert.Equal(3, key.MaxVersion);
        Assert.Equal(bytes, Encode(response, 0));
    }

    [Fact]
    public void ApiVersions_response_v3_writes_tagged_features_epoch()
    {
        var response = new ApiVersionsResponse { ThrottleTimeMs = 7, FinalizedFeaturesEpoch = 5 };
        response.ApiKeys.Add(new ApiVersionsResponse.ApiVersion { ApiKey = 3, MinVersion = 0, MaxVersion = 12 });
        byte[] expected =
        [
            0x00, 0x00,             // ErrorCode
            0x02,                   // compact array: one entry
            0x00, 0x03, 0x00, 0x00, 0x00, 0x0C, 0x00, // ApiKey 3, 0-12, no tags
            0x00, 0x00, 0x00, 0x07, // ThrottleTimeMs
            0x01,                   // one tagged field
            0x01, 0x08,             // tag 1 (FinalizedFeaturesEpoch), 8 bytes
            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x05,
        ];
        Assert.Equal(expected, Encode(response, 3));
        var decoded = Decode<ApiVersionsResponse>(expected, 3);
        Assert.Equal(5, decoded.FinalizedFeaturesEpoch);
        Assert.Equal(7, decoded.ThrottleTimeMs);
        Assert.Empty(decoded.SupportedFeatures);
        Assert.False(decoded.ZkMigrationReady);
    }

    [Fact]
    public void Metadata_request_v1_with_one_topic()
    {
        byte[] bytes =
        [
            0x00, 0x00, 0x00, 0x01,             // one topic
            0x00, 0x03, (byte)'f', (byte)'o', (byte)'o', // int16-prefixed name
        ];
        var request = Decode<MetadataRequest>(bytes, 1);
        var topic = Assert.Single(request.Topics!);
        Assert.Equal("foo", topic.Name);
        Assert.Equal(bytes, Encode(request, 1));
    }

    [Fact]
    public void Metadata_request_v1_null_topics_means_all_topics()
    {
        byte[] bytes = [0xFF, 0xFF, 0xFF, 0xFF];
        var request = Decode<MetadataRequest>(bytes, 1);
        Assert.Null(request.Topics);
        Assert.Equal(bytes, Encode(request, 1));
    }

    [Fact]
    public void Metadata_request_v0_rejects_null_topics()
    {
        Assert.Throws<ProtocolException>(() => Decode<MetadataRequest>([0xFF, 0xFF, 0xFF, 0xFF], 0));
    }

    [Fact]
    public void Metadata_request_v9_is_flexible_and_skips_unknown_tags()
    {
        byte[] bytes =
        [
            0x02,                                  // compact array: one topic
            0x04, (byte)'f', (byte)'o', (byte)'o', // compact string
            0x00,                                  // topic: no tagged fields
            0x01,                                  // AllowAutoTopicCreation
            0x00,                                  // IncludeClusterAuthorizedOperations
            0x01,                                  // IncludeTopicAuthorizedOperations
            0x01,                                  // one tagged field
            0x05, 0x02, 0xAB, 0xCD,                // tag 5, two bytes, unknown: skipped
        ];
        var request = Decode<MetadataRequest>(bytes, 9);
        Assert.Equal("foo", Assert.Single(request.Topics!).Name);
        Assert.True(request.AllowAutoTopicCreation);
        Assert.False(request.IncludeClusterAuthorizedOperations);
        Assert.True(request.IncludeTopicAuthorizedOperations);
    }

    [Fact]
    public void Metadata_request_v12_looks_topics_up_by_id()
    {
        var id = new Uuid(0x0102030405060708, 0x090A0B0C0D0E0F10);
        var request = new MetadataRequest { AllowAutoTopicCreation = false };
        request.Topics!.Add(new MetadataRequest.MetadataRequestTopic { TopicId = id, Name = null });
        byte[] expected =
        [
            0x02,                                           // one topic
            0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, // TopicId
            0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x0E, 0x0F, 0x10,
            0x00,                                           // null compact string
            0x00,                                           // topic: no tagged fields
            0x00,                                           // AllowAutoTopicCreation
            0x00,                                           // IncludeTopicAuthorizedOperations (v11+ has no cluster flag)
            0x00,                                           // no tagged fields
        ];
        Assert.Equal(expected, Encode(request, 12));
        var decoded = Decode<MetadataRequest>(expected, 12);
        Assert.Equal(id, Assert.Single(decoded.Topics!).TopicId);
        Assert.Null(decoded.Topics![0].Name);
    }

    [Fact]
    public void Fetch_request_v4_has_replica_id_and_isolation_level()
    {
        var request = new FetchRequest { MaxWaitMs = 500, MinBytes = 1, MaxBytes = 1024, IsolationLevel = 1 };
        var topic = new FetchRequest.FetchTopic { Topic = "t" };
        topic.Partitions.Add(new FetchRequest.FetchPartition { Partition = 2, FetchOffset = 9, PartitionMaxBytes = 100 });
        request.Topics.Add(topic);
        byte[] expected =
        [
            0xFF, 0xFF, 0xFF, 0xFF, // ReplicaId -1 (the default)
            0x00, 0x00, 0x01, 0xF4, // MaxWaitMs 500
            0x00, 0x00, 0x00, 0x01, // MinBytes
            0x00, 0x00, 0x04, 0x00, // MaxBytes
            0x01,                   // IsolationLevel read_committed
            0x00, 0x00, 0x00, 0x01, // one topic
            0x00, 0x01, (byte)'t',
            0x00, 0x00, 0x00, 0x01, // one partition
            0x00, 0x00, 0x00, 0x02,
            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x09,
            0x00, 0x00, 0x00, 0x64,
        ];
        Assert.Equal(expected, Encode(request, 4));
    }

    [Fact]
    public void Fetch_response_v12_writes_current_leader_as_tag_1()
    {
        var response = new FetchResponse();
        var topic = new FetchResponse.FetchableTopicResponse { Topic = "t" };
        var partition = new FetchResponse.PartitionData { PartitionIndex = 0, ErrorCode = 6, HighWatermark = 0, Records = null };
        partition.CurrentLeader.LeaderId = 3;
        partition.CurrentLeader.LeaderEpoch = 4;
        partition.AbortedTransactions = null;
        topic.Partitions.Add(partition);
        response.Responses.Add(topic);
        byte[] expected =
        [
            0x00, 0x00, 0x00, 0x00, // ThrottleTimeMs
            0x00, 0x00,             // ErrorCode
            0x00, 0x00, 0x00, 0x00, // SessionId
            0x02,                   // one topic
            0x02, (byte)'t',
            0x02,                   // one partition
            0x00, 0x00, 0x00, 0x00, // PartitionIndex
            0x00, 0x06,             // NOT_LEADER_OR_FOLLOWER
            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, // HighWatermark
            0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, // LastStableOffset -1
            0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, // LogStartOffset -1
            0x00,                   // AbortedTransactions null
            0xFF, 0xFF, 0xFF, 0xFF, // PreferredReadReplica -1
            0x00,                   // Records null
            0x01,                   // one tagged field
            0x01, 0x09,             // tag 1 CurrentLeader, 9 bytes
            0x00, 0x00, 0x00, 0x03, 0x00, 0x00, 0x00, 0x04, 0x00,
            0x00,                   // topic: no tagged fields
            0x00,                   // response: no tagged fields
        ];
        Assert.Equal(expected, Encode(response, 12));
        var decoded = Decode<FetchResponse>(expected, 12);
        var p = decoded.Responses[0].Partitions[0];
        Assert.Equal(3, p.CurrentLeader.LeaderId);
        Assert.Equal(4, p.CurrentLeader.LeaderEpoch);
        Assert.Equal(-1, p.DivergingEpoch.Epoch);
        Assert.Null(p.Records);
    }

    [Fact]
    public void Produce_request_v3_carries_the_batch_as_records()
    {
        byte[] batch = [1, 2, 3, 4, 5];
        var request = new ProduceRequest { TransactionalId = null, Acks = -1, TimeoutMs = 30000 };
        var topic = new ProduceRequest.TopicProduceData { Name = "t" };
        topic.PartitionData.Add(new ProduceRequest.PartitionProduceData { Index = 1, Records = batch });
        request.TopicData.Add(topic);
        byte[] expected =
        [
            0xFF, 0xFF,             // null TransactionalId
            0xFF, 0xFF,             // Acks -1
            0x00, 0x00, 0x75, 0x30, // TimeoutMs 30000
            0x00, 0x00, 0x00, 0x01,
            0x00, 0x01, (byte)'t',
            0x00, 0x00, 0x00, 0x01,
            0x00, 0x00, 0x00, 0x01, // Index
            0x00, 0x00, 0x00, 0x05, 1, 2, 3, 4, 5,
        ];
        Assert.Equal(expected, Encode(request, 3));
        var decoded = Decode<ProduceRequest>(expected, 3);
        Assert.Equal(batch, decoded.TopicData[0].PartitionData[0].Records!.Value.ToArray());
    }

    // ---- Helpers ----

    private static void AssertRoundTrip(IProtocolMessage message, string typeName, short version)
    {
        int size = message.Size(version);
        byte[] buffer = new byte[size + 16];
        var writer = new ProtocolWriter(buffer.AsSpan(0, size));
        message.Write(ref writer, version);
        Assert.Equal(size, writer.Position);

        var copy = NewMessage(typeName);
        var reader = new ProtocolReader(buffer.AsMemory(0, size));
        copy.Read(ref reader, version);
        Assert.Equal(0, reader.Remaining);

        Assert.Equal(size, copy.Size(version));
        byte[] again = new byte[size];
        var writer2 = new ProtocolWriter(again);
        copy.Write(ref writer2, version);
        Assert.Equal(size, writer2.Position);
        Assert.Equal(buffer.AsSpan(0, size).ToArray(), again);
    }

    private static T Decode<T>(byte[] bytes, short version)
        where T : IProtocolMessage, new()
    {
        var message = new T();
        var reader = new ProtocolReader(bytes);
        message.Read(ref reader, version);
        Assert.Equal(0, reader.Remaining);
        return message;
    }

    private static byte[] Encode(IProtocolMessage message, short version)
    {
        byte[] buffer = new byte[message.Size(version)];
        var writer = new ProtocolWriter(buffer);
        message.Write(ref writer, version);
        Assert.Equal(buffer.Length, writer.Position);
        return buffer;
    }

    private static IEnumerable<Type> MessageTypes() =>
        ProtocolAssembly.GetTypes()
            .Where(t => t.IsClass && !t.IsNested && t.Namespace == "Samsa.Protocol.Messages"
                && t.GetField("LowestVersion", BindingFlags.Public | BindingFlags.Static) is { IsLiteral: true }
                && t.GetField("HighestVersion", BindingFlags.Public | BindingFlags.Static) is { IsLiteral: true })
            .OrderBy(t => t.Name, StringComparer.Ordinal);

    private static short ConstOf(Type type, string name) =>
        (short)type.GetField(name, BindingFlags.Public | BindingFlags.Static)!.GetRawConstantValue()!;

    private static IProtocolMessage NewMessage(string typeName)
    {
        var type = ProtocolAssembly.GetType("Samsa.Protocol.Messages." + typeName, throwOnError: true)!;
        return (IProtocolMessage)Activator.CreateInstance(type)!;
    }

    /// <summary>Sets every property to a value that differs from its default, lists to one element.</summary>
    private sealed class Filler
    {
        private int _next = 1;

        public void Fill(object target)
        {
            foreach (var property in target.GetType().GetProperties(BindingFlags.Public | BindingFlags.Instance))
            {
                if (!property.CanWrite || property.GetIndexParameters().Length > 0)
                {
                    continue;
                }
                object? current = property.GetValue(target);
                property.SetValue(target, ValueFor(property.PropertyType, current));
            }
        }

        private object ValueFor(Type type, object? current)
        {
            int n = _next++;
            if (type == typeof(bool))
            {
                return !(bool)current!;
            }
            if (type == typeof(sbyte))
            {
                return (sbyte)(n % 100 + 1);
            }
            if (type == typeof(short))
            {
                return (short)(n + 100);
            }
            if (type == typeof(ushort))
            {
                return (ushort)(n + 60000);
            }
            if (type == typeof(int))
            {
                return n + 1_000_000;
            }
            if (type == typeof(uint))
            {
                return (uint)n + 3_000_000_000u;
            }
            if (type == typeof(long))
            {
                return n + 10_000_000_000L;
            }
            if (type == typeof(double))
            {
                return n + 0.5;
            }
            if (type == typeof(string))
            {
                return "value-" + n;
            }
            if (type == typeof(byte[]))
            {
                return new byte[] { (byte)n, 0xFE, 0x00, 0x7F };
            }
            if (type == typeof(ReadOnlyMemory<byte>?) || type == typeof(ReadOnlyMemory<byte>))
            {
                return new ReadOnlyMemory<byte>([(byte)n, 1, 2, 3, 4, 5, 6, 7]);
            }
            if (type == typeof(Uuid))
            {
                return new Uuid(n, -n);
            }
            if (type.IsGenericType && type.GetGenericTypeDefinition() == typeof(List<>))
            {
                var list = (IList)Activator.CreateInstance(type)!;
                list.Add(ValueFor(type.GetGenericArguments()[0], null));
                return list;
            }
            if (type.IsClass && type.Namespace == "Samsa.Protocol.Messages")
            {
                object value = Activator.CreateInstance(type)!;
                Fill(value);
                return value;
            }
            throw new InvalidOperationException("No test value for " + type);
        }
    }
}
