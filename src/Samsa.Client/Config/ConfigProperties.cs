using System.Collections.Frozen;
using System.Globalization;

namespace Samsa.Client.Config;

/// <summary>
/// Every property the clients understand, by the names librdkafka and the Java client use, with the defaults of the
/// Java client unless noted. Values are validated when a client is built: an unknown name or a bad value throws an
/// <see cref="ArgumentException"/> naming the key. Thread-safe (immutable).
/// </summary>
internal static class ConfigProperties
{
    private static readonly ConfigProperty[] s_all =
    [
        // Common
        new("bootstrap.servers", ConfigScope.All, ConfigType.String, null, "host:port,host:port of brokers to start from") { Aliases = ["metadata.broker.list"] },
        new("client.id", ConfigScope.All, ConfigType.String, "samsa", "sent with every request; names this client in broker logs and quotas"),
        new("request.timeout.ms", ConfigScope.All, ConfigType.Int, "30000", "how long to wait for a response before the request fails and the connection is closed") { Aliases = ["socket.timeout.ms"], Min = 1 },
        new("socket.connection.setup.timeout.ms", ConfigScope.All, ConfigType.Int, "10000", "how long a TCP connect may take") { Min = 1 },
        new("metadata.max.age.ms", ConfigScope.All, ConfigType.Int, "300000", "metadata is refreshed at least this often") { Aliases = ["topic.metadata.refresh.interval.ms"], Min = 1 },
        new("reconnect.backoff.ms", ConfigScope.All, ConfigType.Int, "50", "first wait before reconnecting to a broker") { Min = 0 },
        new("reconnect.backoff.max.ms", ConfigScope.All, ConfigType.Int, "1000", "the reconnect wait doubles up to this") { Min = 0 },
        new("retry.backoff.ms", ConfigScope.All, ConfigType.Int, "100", "wait before a failed request is retried") { Min = 0 },
        new("security.protocol", ConfigScope.All, ConfigType.Enum, "plaintext", "only plaintext is implemented; SASL and TLS come later") { Allowed = ["plaintext"] },
        new("allow.auto.create.topics", ConfigScope.Producer | ConfigScope.Consumer, ConfigType.Bool, "true", "whether a metadata request may create a missing topic (when the broker allows it)"),

        // Producer
        new("acks", ConfigScope.Producer, ConfigType.Enum, "all", "replicas that must have a batch before it is acknowledged: 0, 1 or all (-1)")
            { Aliases = ["request.required.acks"], Allowed = ["0", "1", "all"], Synonyms = new Dictionary<string, string> { ["-1"] = "all" } },
        new("linger.ms", ConfigScope.Producer, ConfigType.Int, "5", "how long a batch waits for more records before it is sent (librdkafka's default)") { Aliases = ["queue.buffering.max.ms"], Min = 0, Max = 900_000 },
        new("batch.size", ConfigScope.Producer, ConfigType.Int, "1000000", "the largest batch, in bytes, per partition (librdkafka's default)") { Min = 128, Max = 64 * 1024 * 1024 },
        new("buffer.memory", ConfigScope.Producer, ConfigType.Long, "33554432", "bytes of records waiting to be sent; when full, Produce blocks up to max.block.ms") { Min = 1024 },
        new("max.block.ms", ConfigScope.Producer, ConfigType.Int, "60000", "how long Produce waits for buffer space before it fails (0 fails at once)") { Min = 0 },
        new("compression.type", ConfigScope.Producer, ConfigType.Enum, "none", "codec of produced batches")
            { Aliases = ["compression.codec"], Allowed = ["none", "gzip", "snappy", "lz4", "zstd"] },
        new("delivery.timeout.ms", ConfigScope.Producer, ConfigType.Int, "120000", "a record not acknowledged within this time fails") { Aliases = ["message.timeout.ms"], Min = 1 },
        new("retries", ConfigScope.Producer, ConfigType.Int, "2147483647", "how often a failed batch is retried (within delivery.timeout.ms)") { Aliases = ["message.send.max.retries"], Min = 0 },
        new("max.in.flight.requests.per.connection", ConfigScope.Producer, ConfigType.Int, "5", "produce requests sent to one broker without a response yet") { Aliases = ["max.in.flight"], Min = 1, Max = 1_000_000 },
        new("max.request.size", ConfigScope.Producer, ConfigType.Int, "1048576", "the largest produce request, in bytes") { Aliases = ["message.max.bytes"], Min = 1000 },
        new("enable.idempotence", ConfigScope.Producer, ConfigType.Bool, "true", "exactly-once per partition: retries never duplicate or reorder"),
        new("transactional.id", ConfigScope.Producer, ConfigType.String, null, "turns transactions on; the same id fences older instances"),
        new("transaction.timeout.ms", ConfigScope.Producer, ConfigType.Int, "60000", "the coordinator aborts a transaction left open longer") { Min = 1 },
        new("partitioner", ConfigScope.Producer, ConfigType.Enum, "murmur2_random", "murmur2 on the key like the Java client; records without a key stick to one partition per batch")
            { Allowed = ["murmur2_random", "murmur2"] },

        // Consumer
        new("group.id", ConfigScope.Consumer, ConfigType.String, null, "the consumer group; needed by Subscribe and Commit"),
        new("group.instance.id", ConfigScope.Consumer, ConfigType.String, null, "a static member id kept across restarts"),
        new("session.timeout.ms", ConfigScope.Consumer, ConfigType.Int, "45000", "the coordinator removes a member silent this long") { Min = 1 },
        new("heartbeat.interval.ms", ConfigScope.Consumer, ConfigType.Int, "3000", "how often a member heartbeats") { Min = 1 },
        new("max.poll.interval.ms", ConfigScope.Consumer, ConfigType.Int, "300000", "a member that does not call Consume this long leaves the group") { Min = 1 },
        new("auto.offset.reset", ConfigScope.Consumer, ConfigType.Enum, "latest", "where to start without a committed offset: earliest, latest or none (error)")
            { Allowed = ["earliest", "latest", "none"], Synonyms = new Dictionary<string, string> { ["smallest"] = "earliest", ["beginning"] = "earliest", ["largest"] = "latest", ["end"] = "latest", ["error"] = "none" } },
        new("enable.auto.commit", ConfigScope.Consumer, ConfigType.Bool, "true", "commit the stored offsets every auto.commit.interval.ms"),
        new("auto.commit.interval.ms", ConfigScope.Consumer, ConfigType.Int, "5000", "how often offsets are committed automatically") { Min = 0 },
        new("enable.auto.offset.store", ConfigScope.Consumer, ConfigType.Bool, "true", "store each consumed record's offset for the next commit (false: only StoreOffset does)"),
        new("partition.assignment.strategy", ConfigScope.Consumer, ConfigType.String, "range,roundrobin", "assignors, in order of preference: range, roundrobin, cooperative-sticky (or Java class names)"),
        new("isolation.level", ConfigScope.Consumer, ConfigType.Enum, "read_committed", "read_committed hides open and aborted transactions (librdkafka's default)")
            { Allowed = ["read_committed", "read_uncommitted"] },
        new("fetch.min.bytes", ConfigScope.Consumer, ConfigType.Int, "1", "the broker waits for this many bytes") { Min = 1 },
        new("fetch.max.bytes", ConfigScope.Consumer, ConfigType.Int, "52428800", "the most bytes one fetch returns") { Min = 1 },
        new("max.partition.fetch.bytes", ConfigScope.Consumer, ConfigType.Int, "1048576", "the most bytes one fetch returns per partition") { Aliases = ["fetch.message.max.bytes"], Min = 1 },
        new("fetch.max.wait.ms", ConfigScope.Consumer, ConfigType.Int, "500", "how long the broker waits for fetch.min.bytes") { Aliases = ["fetch.wait.max.ms"], Min = 0 },
        new("max.poll.records", ConfigScope.Consumer, ConfigType.Int, "500", "records handed over per ConsumeBatch") { Min = 1 },
        new("check.crcs", ConfigScope.Consumer, ConfigType.Bool, "false", "verify each fetched batch's CRC-32C"),
        new("enable.partition.eof", ConfigScope.Consumer, ConfigType.Bool, "false", "Consume returns an end-of-partition result on reaching the end"),
    ];

    private static readonly FrozenDictionary<string, ConfigProperty> s_byName = BuildIndex();

    public static IReadOnlyList<ConfigProperty> All => s_all;

    private static FrozenDictionary<string, ConfigProperty> BuildIndex()
    {
        var index = new Dictionary<string, ConfigProperty>(StringComparer.Ordinal);
        foreach (var property in s_all)
        {
            index.Add(property.Name, property);
            foreach (var alias in property.Aliases)
            {
                index.Add(alias, property);
            }
        }
        return index.ToFrozenDictionary(StringComparer.Ordinal);
    }

    /// <summary>The property a name or alias stands for, or null when the name is unknown.</summary>
    public static ConfigProperty? Find(string name) => s_byName.GetValueOrDefault(name);

    /// <summary>Checks a value against its property and returns it in canonical form (enum synonyms mapped).</summary>
    public static string Normalize(ConfigProperty property, string value)
    {
        string trimmed = value.Trim();
        switch (property.Type)
        {
            case ConfigType.Int:
            case ConfigType.Long:
                if (!long.TryParse(trimmed, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long number)
                    || (property.Type == ConfigType.Int && number is < int.MinValue or > int.MaxValue))
                {
                    throw Invalid(property, value, "not a whole number");
                }
                if (number < property.Min || number > property.Max)
                {
                    throw Invalid(property, value, property.Max == long.MaxValue ? $"must be at least {property.Min}" : $"must be between {property.Min} and {property.Max}");
                }
                return number.ToString(CultureInfo.InvariantCulture);
            case ConfigType.Bool:
                return trimmed.ToLowerInvariant() switch
                {
                    "true" or "1" or "yes" => "true",
                    "false" or "0" or "no" => "false",
                    _ => throw Invalid(property, value, "must be true or false"),
                };
            case ConfigType.Enum:
                string word = trimmed.ToLowerInvariant();
                word = property.Synonyms.GetValueOrDefault(word, word);
                if (Array.IndexOf(property.Allowed, word) < 0)
                {
                    throw Invalid(property, value, "must be one of " + string.Join(", ", property.Allowed));
                }
                return word;
            default:
                return value;
        }
    }

    private static ArgumentException Invalid(ConfigProperty property, string value, string why) =>
        new($"invalid value '{value}' for configuration property \"{property.Name}\": {why}");
}
