using System.Globalization;

namespace Samsa.Broker.Config;

/// <summary>Kafka's spelling of typed configuration values, for entries and DescribeConfigs. Thread-safe.</summary>
internal static class ConfigFormat
{
    public const string LongMax = "9223372036854775807";
    public const string IntMax = "2147483647";
    public const string DoubleMax = "1.7976931348623157E+308";

    /// <summary>Formats a typed value the way the key's parser reads it back.</summary>
    public static string? Format(object? value) => value switch
    {
        null => null,
        bool b => b ? "true" : "false",
        short s => s.ToString(CultureInfo.InvariantCulture),
        int i => i.ToString(CultureInfo.InvariantCulture),
        long l => l.ToString(CultureInfo.InvariantCulture),
        double d => d.ToString("R", CultureInfo.InvariantCulture),
        string text => text,
        CleanupPolicy policy => ToConfigString(policy),
        BrokerCompressionType compression => ToConfigString(compression),
        MessageTimestampType timestampType => ToConfigString(timestampType),
        IEnumerable<string> list => string.Join(",", list),
        _ => Convert.ToString(value, CultureInfo.InvariantCulture),
    };

    public static string ToConfigString(CleanupPolicy policy) => policy switch
    {
        CleanupPolicy.Delete => "delete",
        CleanupPolicy.Compact => "compact",
        CleanupPolicy.Compact | CleanupPolicy.Delete => "compact,delete",
        _ => string.Empty,
    };

    public static string ToConfigString(BrokerCompressionType compression) => compression switch
    {
        BrokerCompressionType.Uncompressed => "uncompressed",
        BrokerCompressionType.Gzip => "gzip",
        BrokerCompressionType.Snappy => "snappy",
        BrokerCompressionType.Lz4 => "lz4",
        BrokerCompressionType.Zstd => "zstd",
        _ => "producer",
    };

    public static string ToConfigString(MessageTimestampType timestampType) =>
        timestampType == MessageTimestampType.LogAppendTime ? "LogAppendTime" : "CreateTime";

    /// <summary>Reads a parsed <c>cleanup.policy</c> list; the parser has already checked each element.</summary>
    public static CleanupPolicy ParseCleanupPolicy(IReadOnlyList<string> policies)
    {
        var policy = CleanupPolicy.None;
        foreach (var item in policies)
        {
            policy |= item == "compact" ? CleanupPolicy.Compact : CleanupPolicy.Delete;
        }

        return policy;
    }

    /// <summary>Reads a parsed <c>compression.type</c>; the parser has already canonicalised it.</summary>
    public static BrokerCompressionType ParseCompressionType(string value) => value switch
    {
        "uncompressed" => BrokerCompressionType.Uncompressed,
        "gzip" => BrokerCompressionType.Gzip,
        "snappy" => BrokerCompressionType.Snappy,
        "lz4" => BrokerCompressionType.Lz4,
        "zstd" => BrokerCompressionType.Zstd,
        _ => BrokerCompressionType.Producer,
    };

    public static MessageTimestampType ParseTimestampType(string value) =>
        value == "LogAppendTime" ? MessageTimestampType.LogAppendTime : MessageTimestampType.CreateTime;

    /// <summary>The values <c>compression.type</c> accepts.</summary>
    public static readonly string[] CompressionTypes = ["uncompressed", "zstd", "lz4", "snappy", "gzip", "producer"];

    /// <summary>The values <c>message.timestamp.type</c> accepts.</summary>
    public static readonly string[] TimestampTypes = ["CreateTime", "LogAppendTime"];

    /// <summary>The elements <c>cleanup.policy</c> accepts.</summary>
    public static readonly string[] CleanupPolicies = ["compact", "delete"];
}
