using Samsa.Protocol.Messages;

namespace Samsa.Broker.Network;

/// <summary>
/// The API versions this broker advertises (PROTOCOL.md) and those it accepts. Produce is advertised
/// from 0 because librdkafka enables gzip/snappy only when Produce 0 is in range, but v0-2 requests are
/// answered with UNSUPPORTED_VERSION: they carry magic 0/1 message sets.
/// </summary>
internal static class SupportedApis
{
    public readonly record struct Range(ApiKey Key, short Min, short Max, short MinAccepted);

    public static readonly Range[] Advertised =
    [
        new(ApiKey.Produce, 0, 9, 3),
        new(ApiKey.Fetch, 4, 12, 4),
        new(ApiKey.ListOffsets, 1, 7, 1),
        new(ApiKey.Metadata, 0, 12, 0),
        new(ApiKey.OffsetCommit, 2, 8, 2),
        new(ApiKey.OffsetFetch, 1, 8, 1),
        new(ApiKey.FindCoordinator, 0, 4, 0),
        new(ApiKey.JoinGroup, 0, 9, 0),
        new(ApiKey.Heartbeat, 0, 4, 0),
        new(ApiKey.LeaveGroup, 0, 5, 0),
        new(ApiKey.SyncGroup, 0, 5, 0),
        new(ApiKey.DescribeGroups, 0, 5, 0),
        new(ApiKey.ListGroups, 0, 4, 0),
        new(ApiKey.ApiVersions, 0, 3, 0),
        new(ApiKey.CreateTopics, 2, 7, 2),
        new(ApiKey.DeleteTopics, 1, 6, 1),
        new(ApiKey.DeleteGroups, 0, 2, 0),
        new(ApiKey.DeleteRecords, 0, 2, 0),
        new(ApiKey.TxnOffsetCommit, 0, 3, 0),
        new(ApiKey.InitProducerId, 0, 4, 0),
        new(ApiKey.AddPartitionsToTxn, 0, 3, 0),
        new(ApiKey.AddOffsetsToTxn, 0, 3, 0),
        new(ApiKey.EndTxn, 0, 3, 0),
        new(ApiKey.DescribeTransactions, 0, 0, 0),
        new(ApiKey.ListTransactions, 0, 0, 0),
        new(ApiKey.WriteTxnMarkers, 1, 1, 1),
        new(ApiKey.DescribeConfigs, 1, 4, 1),
        new(ApiKey.AlterConfigs, 0, 2, 0),
        new(ApiKey.CreatePartitions, 0, 3, 0),
        new(ApiKey.IncrementalAlterConfigs, 0, 1, 0),
    ];

    /// <summary>True when the request can be parsed: the version is inside the advertised range.</summary>
    public static bool IsAdvertised(ApiKey key, short version)
    {
        foreach (var range in Advertised)
        {
            if (range.Key == key)
            {
                return version >= range.Min && version <= range.Max;
            }
        }
        return false;
    }

    public static bool IsKnown(ApiKey key)
    {
        foreach (var range in Advertised)
        {
            if (range.Key == key)
            {
                return true;
            }
        }
        return false;
    }
}
