using System.Collections;
using System.Reflection;
using Samsa.Broker.Config;

namespace Samsa.Broker.Tests.Config;

public sealed class BrokerConfigLoaderTests : IDisposable
{
    private static readonly Dictionary<string, string> NoEnvironment = new();

    private readonly string _directory = Path.Combine(Path.GetTempPath(), "samsa-config-" + Guid.NewGuid().ToString("N"));

    public BrokerConfigLoaderTests() => Directory.CreateDirectory(_directory);

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private string WriteFile(string text)
    {
        var path = Path.Combine(_directory, "server.properties");
        File.WriteAllText(path, text);
        return path;
    }

    private static BrokerConfigLoadResult LoadOverrides(params string[] overrides) =>
        BrokerConfigLoader.Load(null, overrides, NoEnvironment);

    private static ConfigException LoadFails(params string[] overrides) =>
        Assert.Throws<ConfigException>(() => LoadOverrides(overrides));

    [Fact]
    public void Group_commit_is_off_by_default_and_turned_on_by_its_key()
    {
        Assert.False(LoadOverrides().Config.LogFlushGroupCommitEnable);
        Assert.True(LoadOverrides("log.flush.group.commit.enable=true").Config.LogFlushGroupCommitEnable);
        LoadFails("log.flush.group.commit.enable=sometimes");
    }

    [Fact]
    public void No_input_gives_the_documented_defaults()
    {
        var result = LoadOverrides();
        var config = result.Config;

        Assert.Empty(result.Warnings);
        Assert.Equal(0, config.BrokerId);
        Assert.Equal([new ListenerEndpoint("PLAINTEXT", "127.0.0.1", 9092)], config.Listeners);
        Assert.Null(config.AdvertisedListeners);
        Assert.Equal(config.Listeners, config.EffectiveAdvertisedListeners);
        Assert.Equal(["./data"], config.LogDirs);
        Assert.Equal(1, config.NumPartitions);
        Assert.Equal(1, config.DefaultReplicationFactor);
        Assert.True(config.AutoCreateTopicsEnable);
        Assert.True(config.DeleteTopicEnable);
        Assert.Equal(1048588, config.MessageMaxBytes);
        Assert.Equal(104857600, config.SocketRequestMaxBytes);
        Assert.Equal(102400, config.SocketSendBufferBytes);
        Assert.Equal(102400, config.SocketReceiveBufferBytes);
        Assert.Equal(600000, config.ConnectionsMaxIdleMs);
        Assert.Equal(1073741824, config.LogSegmentBytes);
        Assert.Equal(168L * 3600 * 1000, config.LogRollMs);
        Assert.Equal(4096, config.LogIndexIntervalBytes);
        Assert.Equal(10485760, config.LogIndexSizeMaxBytes);
        Assert.Equal(long.MaxValue, config.LogFlushIntervalMessages);
        Assert.Equal(long.MaxValue, config.LogFlushIntervalMs);
        Assert.Equal(168L * 3600 * 1000, config.LogRetentionMs);
        Assert.Equal(-1, config.LogRetentionBytes);
        Assert.Equal(CleanupPolicy.Delete, config.LogCleanupPolicy);
        Assert.Equal(50, config.OffsetsTopicNumPartitions);
        Assert.Equal(1, config.OffsetsTopicReplicationFactor);
        Assert.Equal(3000, config.GroupInitialRebalanceDelayMs);
        Assert.Equal(6000, config.GroupMinSessionTimeoutMs);
        Assert.Equal(1800000, config.GroupMaxSessionTimeoutMs);
        Assert.Equal(int.MaxValue, config.GroupMaxSize);
        Assert.Equal(900000, config.TransactionMaxTimeoutMs);
        Assert.Equal(604800000, config.TransactionalIdExpirationMs);
        Assert.Equal(1, config.MinInsyncReplicas);
        Assert.False(config.UncleanLeaderElectionEnable);
        Assert.Null(config.ZookeeperConnect);
        Assert.Null(config.ClusterId);
        Assert.Equal(18000, config.ZookeeperConnectionTimeoutMs);
        Assert.Equal("PLAINTEXT", config.InterBrokerListenerName);
    }

    [Fact]
    public void Loaded_defaults_equal_the_record_defaults_for_every_setting()
    {
        var loaded = LoadOverrides().Config;
        var constructed = new BrokerConfig();

        foreach (var property in typeof(BrokerConfig).GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            var expected = property.GetValue(constructed);
            var actual = property.GetValue(loaded);
            if (expected is IEnumerable sequence && expected is not string)
            {
                Assert.True(
                    sequence.Cast<object>().SequenceEqual(((IEnumerable)actual!).Cast<object>()),
                    $"{property.Name} differs from its record default");
            }
            else
            {
                Assert.True(Equals(expected, actual), $"{property.Name}: record default {expected}, loaded {actual}");
            }
        }
    }

    [Fact]
    public void Stock_server_properties_loads_without_warnings()
    {
        var path = WriteFile("""
            # Licensed to the Apache Software Foundation (ASF) ...
            ############################# Server Basics #############################
            broker.id=0
            ############################# Socket Server Settings #############################
            listeners=PLAINTEXT://:9092
            #advertised.listeners=PLAINTEXT://your.host.name:9092
            #listener.security.protocol.map=PLAINTEXT:PLAINTEXT,SSL:SSL,SASL_PLAINTEXT:SASL_PLAINTEXT,SASL_SSL:SASL_SSL
            num.network.threads=3
            num.io.threads=8
            socket.send.buffer.bytes=102400
            socket.receive.buffer.bytes=102400
            socket.request.max.bytes=104857600
            ############################# Log Basics #############################
            log.dirs=/tmp/kafka-logs
            num.partitions=1
            num.recovery.threads.per.data.dir=1
            ############################# Internal Topic Settings  #############################
            offsets.topic.replication.factor=1
            transaction.state.log.replication.factor=1
            transaction.state.log.min.isr=1
            ############################# Log Flush Policy #############################
            #log.flush.interval.messages=10000
            #log.flush.interval.ms=1000
            ############################# Log Retention Policy #############################
            log.retention.hours=168
            #log.retention.bytes=1073741824
            log.segment.bytes=1073741824
            log.retention.check.interval.ms=300000
            ############################# Zookeeper #############################
            zookeeper.connect=localhost:2181
            zookeeper.connection.timeout.ms=18000
            ############################# Group Coordinator Settings #############################
            group.initial.rebalance.delay.ms=0
            """);

        var result = BrokerConfigLoader.Load(path, [], NoEnvironment);

        Assert.Empty(result.Warnings);
        Assert.Equal([new ListenerEndpoint("PLAINTEXT", "", 9092)], result.Config.Listeners);
        Assert.Equal(["/tmp/kafka-logs"], result.Config.LogDirs);
        Assert.Equal("localhost:2181", result.Config.ZookeeperConnect);
        Assert.Equal(0, result.Config.GroupInitialRebalanceDelayMs);
    }

    [Fact]
    public void Kraft_server_properties_loads_with_only_a_kraft_warning()
    {
        var path = WriteFile("""
            process.roles=broker,controller
            node.id=1
            controller.quorum.voters=1@localhost:9093
            listeners=PLAINTEXT://:9092,CONTROLLER://:9093
            inter.broker.listener.name=PLAINTEXT
            advertised.listeners=PLAINTEXT://localhost:9092
            controller.listener.names=CONTROLLER
            listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT,SSL:SSL,SASL_PLAINTEXT:SASL_PLAINTEXT,SASL_SSL:SASL_SSL
            log.dirs=/tmp/kraft-combined-logs
            """);

        var result = BrokerConfigLoader.Load(path, [], NoEnvironment);

        var warning = Assert.Single(result.Warnings);
        Assert.Contains("process.roles", warning);
        Assert.Equal(1, result.Config.BrokerId);
        Assert.Equal(2, result.Config.Listeners.Count);
    }

    [Fact]
    public void File_values_override_defaults()
    {
        var path = WriteFile("num.partitions = 4\nbroker.id: 7\nauto.create.topics.enable false\n");

        var result = BrokerConfigLoader.Load(path, [], NoEnvironment);

        Assert.Equal(4, result.Config.NumPartitions);
        Assert.Equal(7, result.Config.BrokerId);
        Assert.False(result.Config.AutoCreateTopicsEnable);
    }

    [Fact]
    public void Precedence_is_defaults_then_file_then_environment_then_overrides()
    {
        var path = WriteFile("num.partitions=2\nbroker.id=2\nmessage.max.bytes=2000\n");
        var environment = new Dictionary<string, string>
        {
            ["SAMSA_BROKER_ID"] = "3",
            ["SAMSA_MESSAGE_MAX_BYTES"] = "3000",
        };

        var result = BrokerConfigLoader.Load(path, ["message.max.bytes=4000"], environment);

        Assert.Equal(2, result.Config.NumPartitions);
        Assert.Equal(3, result.Config.BrokerId);
        Assert.Equal(4000, result.Config.MessageMaxBytes);
        Assert.Equal(1, result.Config.DefaultReplicationFactor);
        Assert.Equal(ConfigSource.File, result.Entries["num.partitions"].Source);
        Assert.Equal(ConfigSource.Environment, result.Entries["broker.id"].Source);
        Assert.Equal(ConfigSource.Override, result.Entries["message.max.bytes"].Source);
        Assert.Equal(ConfigSource.Default, result.Entries["default.replication.factor"].Source);
        Assert.Equal("4000", result.Entries["message.max.bytes"].Value);
        Assert.True(result.Entries["default.replication.factor"].IsDefault);
        Assert.Equal("1", result.Entries["default.replication.factor"].Value);
    }

    [Fact]
    public void Later_overrides_win_over_earlier_ones()
    {
        var result = LoadOverrides("num.partitions=2", "num.partitions=5");

        Assert.Equal(5, result.Config.NumPartitions);
    }

    [Fact]
    public void Environment_names_map_to_keys_and_unrelated_variables_are_ignored()
    {
        var environment = new Dictionary<string, string>
        {
            ["SAMSA_LOG_DIRS"] = "/d1,/d2",
            ["SAMSA_HOME"] = "/opt/samsa",
            ["SAMSA_NOT_A_KEY"] = "x",
            ["LOG_DIRS"] = "/wrong",
            ["PATH"] = "/usr/bin",
        };

        var result = BrokerConfigLoader.Load(null, [], environment);

        Assert.Equal(["/d1", "/d2"], result.Config.LogDirs);
        Assert.Empty(result.Warnings);
    }

    [Fact]
    public void Entries_cover_every_key_in_name_order_with_raw_values()
    {
        var result = LoadOverrides("log.retention.hours=1");

        Assert.Equal(result.Entries.Keys.OrderBy(k => k, StringComparer.Ordinal), result.Entries.Keys);
        Assert.Null(result.Entries["log.retention.ms"].Value);
        Assert.Equal("1", result.Entries["log.retention.hours"].Value);
        Assert.Equal(ConfigType.Int, result.Entries["log.retention.hours"].Type);
        Assert.Equal(ConfigType.List, result.Entries["listeners"].Type);
        Assert.Contains("zookeeper.connect", result.Entries.Keys);
    }

    [Fact]
    public void Unknown_keys_in_file_and_overrides_warn_with_their_origin()
    {
        var path = WriteFile("num.partitions=1\nretention.ms=5\n");

        var result = BrokerConfigLoader.Load(path, ["no.such.key=1"], NoEnvironment);

        Assert.Equal(2, result.Warnings.Count);
        Assert.Contains("'retention.ms'", result.Warnings[0]);
        Assert.Contains("line 2", result.Warnings[0]);
        Assert.Contains("'no.such.key'", result.Warnings[1]);
        Assert.Contains("--override", result.Warnings[1]);
        Assert.DoesNotContain("retention.ms", result.Entries.Keys);
    }

    [Theory]
    [InlineData("novalue")]
    [InlineData("=5")]
    [InlineData("  =5")]
    public void Malformed_override_throws(string pair)
    {
        var e = LoadFails(pair);

        Assert.Contains($"'{pair}'", e.Message);
        Assert.Contains("key=value", e.Message);
    }

    [Fact]
    public void Override_value_may_contain_equals_signs()
    {
        var result = LoadOverrides("zookeeper.connect=zk:2181/chroot=x");

        Assert.Equal("zk:2181/chroot=x", result.Config.ZookeeperConnect);
    }

    [Fact]
    public void Missing_properties_file_throws_naming_it()
    {
        var path = Path.Combine(_directory, "absent.properties");

        var e = Assert.Throws<ConfigException>(() => BrokerConfigLoader.Load(path, [], NoEnvironment));

        Assert.Contains(path, e.Message);
    }

    [Fact]
    public void Malformed_escape_in_file_names_file_and_line()
    {
        var path = WriteFile("a=1\nb=\\uXYZ1\n");

        var e = Assert.Throws<ConfigException>(() => BrokerConfigLoader.Load(path, [], NoEnvironment));

        Assert.Contains(path, e.Message);
        Assert.Contains("line 2", e.Message);
    }

    [Fact]
    public void Invalid_value_message_names_key_value_and_expectation()
    {
        var e = LoadFails("num.partitions=abc");

        Assert.Equal("Invalid value 'abc' for configuration 'num.partitions': expected an integer >= 1", e.Message);
        Assert.Equal("num.partitions", e.Key);
    }

    [Theory]
    [InlineData("num.partitions=0", "num.partitions", "'0'", "an integer >= 1")]
    [InlineData("num.partitions=1.5", "num.partitions", "'1.5'", "an integer >= 1")]
    [InlineData("num.partitions=99999999999", "num.partitions", "'99999999999'", "an integer between 1 and 2147483647")]
    [InlineData("broker.id=-1", "broker.id", "'-1'", "an integer >= 0")]
    [InlineData("default.replication.factor=x", "default.replication.factor", "'x'", "an integer >= 1")]
    [InlineData("message.max.bytes=-5", "message.max.bytes", "'-5'", "an integer >= 0")]
    [InlineData("socket.request.max.bytes=0", "socket.request.max.bytes", "'0'", "an integer >= 1")]
    [InlineData("socket.send.buffer.bytes=-2", "socket.send.buffer.bytes", "'-2'", "an integer >= -1")]
    [InlineData("socket.receive.buffer.bytes=big", "socket.receive.buffer.bytes", "'big'", "an integer >= -1")]
    [InlineData("connections.max.idle.ms=soon", "connections.max.idle.ms", "'soon'", "an integer >= 0")]
    [InlineData("log.segment.bytes=1023", "log.segment.bytes", "'1023'", "an integer >= 1024")]
    [InlineData("log.roll.ms=0", "log.roll.ms", "'0'", "an integer >= 1")]
    [InlineData("log.roll.hours=x", "log.roll.hours", "'x'", "an integer >= 1")]
    [InlineData("log.index.interval.bytes=-1", "log.index.interval.bytes", "'-1'", "an integer >= 0")]
    [InlineData("log.index.size.max.bytes=3", "log.index.size.max.bytes", "'3'", "an integer >= 4")]
    [InlineData("log.flush.interval.messages=0", "log.flush.interval.messages", "'0'", "an integer >= 1")]
    [InlineData("log.flush.interval.ms=x", "log.flush.interval.ms", "'x'", "an integer >= 0")]
    [InlineData("log.retention.ms=forever", "log.retention.ms", "'forever'", "a 64-bit integer")]
    [InlineData("log.retention.minutes=1e3", "log.retention.minutes", "'1e3'", "a 32-bit integer")]
    [InlineData("log.retention.hours=x", "log.retention.hours", "'x'", "a 32-bit integer")]
    [InlineData("log.retention.bytes=1GB", "log.retention.bytes", "'1GB'", "a 64-bit integer")]
    [InlineData("log.retention.ms=99999999999999999999", "log.retention.ms", "'99999999999999999999'", "a 64-bit integer")]
    [InlineData("log.cleanup.policy=remove", "log.cleanup.policy", "'remove'", "a comma-separated list of: compact, delete")]
    [InlineData("log.cleanup.policy=", "log.cleanup.policy", "''", "a comma-separated list of: compact, delete")]
    [InlineData("log.cleaner.min.cleanable.ratio=1.5", "log.cleaner.min.cleanable.ratio", "'1.5'", "a number between 0 and 1")]
    [InlineData("log.cleaner.min.cleanable.ratio=half", "log.cleaner.min.cleanable.ratio", "'half'", "a number between 0 and 1")]
    [InlineData("log.message.timestamp.type=WallClock", "log.message.timestamp.type", "'WallClock'", "one of: CreateTime, LogAppendTime")]
    [InlineData("compression.type=brotli", "compression.type", "'brotli'", "one of: uncompressed, zstd, lz4, snappy, gzip, producer")]
    [InlineData("auto.create.topics.enable=yes", "auto.create.topics.enable", "'yes'", "true or false")]
    [InlineData("delete.topic.enable=1", "delete.topic.enable", "'1'", "true or false")]
    [InlineData("unclean.leader.election.enable=", "unclean.leader.election.enable", "''", "true or false")]
    [InlineData("offsets.topic.num.partitions=0", "offsets.topic.num.partitions", "'0'", "an integer >= 1")]
    [InlineData("offsets.topic.replication.factor=40000", "offsets.topic.replication.factor", "'40000'", "an integer between 1 and 32767")]
    [InlineData("group.initial.rebalance.delay.ms=-1", "group.initial.rebalance.delay.ms", "'-1'", "an integer >= 0")]
    [InlineData("group.min.session.timeout.ms=x", "group.min.session.timeout.ms", "'x'", "an integer >= 0")]
    [InlineData("group.max.session.timeout.ms=x", "group.max.session.timeout.ms", "'x'", "an integer >= 0")]
    [InlineData("group.max.size=0", "group.max.size", "'0'", "an integer >= 1")]
    [InlineData("transaction.max.timeout.ms=0", "transaction.max.timeout.ms", "'0'", "an integer >= 1")]
    [InlineData("transactional.id.expiration.ms=0", "transactional.id.expiration.ms", "'0'", "an integer >= 1")]
    [InlineData("min.insync.replicas=0", "min.insync.replicas", "'0'", "an integer >= 1")]
    [InlineData("num.network.threads=0", "num.network.threads", "'0'", "an integer >= 1")]
    [InlineData("num.io.threads=0", "num.io.threads", "'0'", "an integer >= 1")]
    [InlineData("zookeeper.session.timeout.ms=0", "zookeeper.session.timeout.ms", "'0'", "an integer >= 1")]
    [InlineData("leader.imbalance.per.broker.percentage=101", "leader.imbalance.per.broker.percentage", "'101'", "an integer between 0 and 100")]
    [InlineData("security.inter.broker.protocol=TLS", "security.inter.broker.protocol", "'TLS'", "one of: PLAINTEXT, SSL, SASL_PLAINTEXT, SASL_SSL")]
    public void Invalid_values_throw_naming_the_key(string pair, string key, string quotedValue, string expected)
    {
        var e = LoadFails(pair);

        Assert.Equal(key, e.Key);
        Assert.Equal($"Invalid value {quotedValue} for configuration '{key}': expected {expected}", e.Message);
    }

    [Fact]
    public void Invalid_value_from_file_or_environment_also_names_the_key()
    {
        var path = WriteFile("num.io.threads=many\n");
        var fromFile = Assert.Throws<ConfigException>(() => BrokerConfigLoader.Load(path, [], NoEnvironment));
        var fromEnvironment = Assert.Throws<ConfigException>(() =>
            BrokerConfigLoader.Load(null, [], new Dictionary<string, string> { ["SAMSA_NUM_PARTITIONS"] = "none" }));

        Assert.Equal("num.io.threads", fromFile.Key);
        Assert.Contains("'many'", fromFile.Message);
        Assert.Equal("num.partitions", fromEnvironment.Key);
        Assert.Contains("'none'", fromEnvironment.Message);
    }

    [Fact]
    public void Values_are_trimmed_and_booleans_ignore_case()
    {
        var result = LoadOverrides("num.partitions=  3 ", "delete.topic.enable=FALSE", "log.cleanup.policy= Compact , delete ");

        Assert.Equal(3, result.Config.NumPartitions);
        Assert.False(result.Config.DeleteTopicEnable);
        Assert.Equal(CleanupPolicy.Compact | CleanupPolicy.Delete, result.Config.LogCleanupPolicy);
    }

    [Fact]
    public void Enum_valued_keys_map_to_typed_values()
    {
        var result = LoadOverrides("compression.type=zstd", "log.message.timestamp.type=LogAppendTime", "log.cleanup.policy=compact");

        Assert.Equal(BrokerCompressionType.Zstd, result.Config.CompressionType);
        Assert.Equal(MessageTimestampType.LogAppendTime, result.Config.LogMessageTimestampType);
        Assert.Equal(CleanupPolicy.Compact, result.Config.LogCleanupPolicy);
    }

    [Fact]
    public void Log_dirs_wins_over_log_dir()
    {
        Assert.Equal(["/single"], LoadOverrides("log.dir=/single").Config.LogDirs);
        Assert.Equal(["/a", "/b"], LoadOverrides("log.dir=/single", "log.dirs= /a , /b ").Config.LogDirs);
    }

    [Fact]
    public void Empty_log_dirs_is_an_error_naming_the_key()
    {
        Assert.Equal("log.dir", LoadFails("log.dir= , ").Key);
        Assert.Equal("log.dirs", LoadFails("log.dirs=,").Key);
    }

    [Fact]
    public void Retention_ms_wins_over_minutes_which_wins_over_hours()
    {
        Assert.Equal(2 * 3_600_000L, LoadOverrides("log.retention.hours=2").Config.LogRetentionMs);
        Assert.Equal(3 * 60_000L, LoadOverrides("log.retention.hours=2", "log.retention.minutes=3").Config.LogRetentionMs);
        Assert.Equal(4L, LoadOverrides("log.retention.hours=2", "log.retention.minutes=3", "log.retention.ms=4").Config.LogRetentionMs);
    }

    [Theory]
    [InlineData("log.retention.ms=-1")]
    [InlineData("log.retention.ms=-5")]
    [InlineData("log.retention.minutes=-1")]
    [InlineData("log.retention.hours=-1")]
    public void Negative_retention_means_unlimited(string pair)
    {
        Assert.Equal(-1L, LoadOverrides(pair).Config.LogRetentionMs);
    }

    [Fact]
    public void Retention_hours_do_not_overflow_an_int()
    {
        Assert.Equal(1_000_000L * 3_600_000L, LoadOverrides("log.retention.hours=1000000").Config.LogRetentionMs);
    }

    [Fact]
    public void Roll_and_jitter_resolve_ms_over_hours()
    {
        var hours = LoadOverrides("log.roll.hours=1", "log.roll.jitter.hours=2").Config;
        var ms = LoadOverrides("log.roll.hours=1", "log.roll.ms=500", "log.roll.jitter.hours=2", "log.roll.jitter.ms=7").Config;

        Assert.Equal(3_600_000L, hours.LogRollMs);
        Assert.Equal(7_200_000L, hours.LogRollJitterMs);
        Assert.Equal(500L, ms.LogRollMs);
        Assert.Equal(7L, ms.LogRollJitterMs);
    }

    [Fact]
    public void Flush_interval_ms_falls_back_to_the_scheduler_interval()
    {
        Assert.Equal(2000L, LoadOverrides("log.flush.scheduler.interval.ms=2000").Config.LogFlushIntervalMs);
        Assert.Equal(100L, LoadOverrides("log.flush.scheduler.interval.ms=2000", "log.flush.interval.ms=100").Config.LogFlushIntervalMs);
    }

    [Fact]
    public void Empty_value_of_a_key_without_default_means_unset()
    {
        var config = LoadOverrides("log.retention.ms=", "zookeeper.connect=", "advertised.listeners=").Config;

        Assert.Equal(168 * 3_600_000L, config.LogRetentionMs);
        Assert.Null(config.ZookeeperConnect);
        Assert.Null(config.AdvertisedListeners);
    }

    [Fact]
    public void Zookeeper_connection_timeout_defaults_to_the_session_timeout()
    {
        Assert.Equal(9000, LoadOverrides("zookeeper.session.timeout.ms=9000").Config.ZookeeperConnectionTimeoutMs);
        Assert.Equal(100, LoadOverrides("zookeeper.session.timeout.ms=9000", "zookeeper.connection.timeout.ms=100").Config.ZookeeperConnectionTimeoutMs);
    }

    [Fact]
    public void Node_id_is_the_broker_id_when_broker_id_is_not_set()
    {
        Assert.Equal(5, LoadOverrides("node.id=5").Config.BrokerId);
        Assert.Equal(5, LoadOverrides("node.id=5", "broker.id=5").Config.BrokerId);
        Assert.Equal("node.id", LoadFails("node.id=5", "broker.id=6").Key);
    }

    [Fact]
    public void Typed_settings_follow_their_keys()
    {
        var config = LoadOverrides(
            "zookeeper.connect=127.0.0.1:2181/samsa",
            "cluster.id=abc",
            "broker.rack=r1",
            "group.max.size=10",
            "transaction.state.log.replication.factor=1",
            "socket.send.buffer.bytes=-1",
            "offsets.retention.minutes=5").Config;

        Assert.Equal("127.0.0.1:2181/samsa", config.ZookeeperConnect);
        Assert.Equal("abc", config.ClusterId);
        Assert.Equal("r1", config.BrokerRack);
        Assert.Equal(10, config.GroupMaxSize);
        Assert.Equal((short)1, config.TransactionStateLogReplicationFactor);
        Assert.Equal(-1, config.SocketSendBufferBytes);
        Assert.Equal(5, config.OffsetsRetentionMinutes);
    }
}
