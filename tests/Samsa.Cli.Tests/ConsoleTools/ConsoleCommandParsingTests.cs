using Samsa.Cli.Commands;
using Samsa.Cli.Commands.ConsoleTools;
using Samsa.Cli.Commands.Perf;
using Samsa.Client;

namespace Samsa.Cli.Tests.ConsoleTools;

public sealed class ConsoleCommandParsingTests
{
    private static readonly string[] Base = ["--bootstrap-server", "127.0.0.1:1", "--topic", "t"];

    [Fact]
    public void Console_consumer_reads_a_partition_from_an_offset()
    {
        var options = ConsoleConsumerCommand.Parse([.. Base, "--partition", "2", "--offset", "17", "--max-messages", "5", "--timeout-ms", "100"]);
        Assert.Equal(2, options.Partition);
        Assert.Equal(new Offset(17), options.StartOffset);
        Assert.Equal(5, options.MaxMessages);
        Assert.Equal("read_uncommitted", options.ConsumerProperties.Last(p => p.Key == "isolation.level").Value);
        Assert.Equal("false", options.ConsumerProperties.Last(p => p.Key == "enable.auto.commit").Value);
    }

    [Fact]
    public void Console_consumer_from_beginning_starts_at_the_earliest_offset()
    {
        var options = ConsoleConsumerCommand.Parse([.. Base, "--from-beginning", "--group", "g", "--isolation-level", "read_committed"]);
        Assert.Equal(Offset.Beginning, options.StartOffset);
        Assert.Equal("earliest", options.ConsumerProperties.Last(p => p.Key == "auto.offset.reset").Value);
        Assert.Equal("g", options.ConsumerProperties.Last(p => p.Key == "group.id").Value);
        Assert.Equal("read_committed", options.ConsumerProperties.Last(p => p.Key == "isolation.level").Value);
        Assert.DoesNotContain(options.ConsumerProperties, p => p.Key == "enable.auto.commit");
    }

    [Theory]
    [InlineData("--offset", "5")]
    [InlineData("--partition", "0", "--offset", "soon")]
    [InlineData("--partition", "0", "--offset", "5", "--from-beginning")]
    [InlineData("--partition", "0", "--group", "g")]
    [InlineData("--max-messages", "0")]
    [InlineData("--timeout-ms", "-3")]
    [InlineData("--isolation-level", "dirty")]
    [InlineData("--consumer-property", "nope")]
    [InlineData("--include", "a.*")]
    public void Console_consumer_bad_arguments_are_usage_errors(params string[] extra)
    {
        Assert.Throws<UsageException>(() => ConsoleConsumerCommand.Parse([.. Base, .. extra]));
    }

    [Fact]
    public void Include_subscribes_to_whole_names_matching_the_pattern()
    {
        var options = ConsoleConsumerCommand.Parse(["--bootstrap-server", "h:1", "--include", "orders-.*"]);
        Assert.Equal("^(?:orders-.*)$", options.Topic);
        Assert.Equal("^orders", ConsumerPerfCommand.Parse(["--bootstrap-server", "h:1", "--include", "^orders", "--messages", "1"]).Topic);
        Assert.Throws<UsageException>(() => ConsumerPerfCommand.Parse(["--bootstrap-server", "h:1", "--include", "(", "--messages", "1"]));
        Assert.Throws<UsageException>(() => ConsumerPerfCommand.Parse(["--bootstrap-server", "h:1", "--messages", "1"]));
    }

    [Fact]
    public void Console_producer_maps_kafkas_options_to_producer_settings()
    {
        var options = ConsoleProducerCommand.Parse([.. Base, "--compression-codec", "lz4", "--request-required-acks", "1", "--timeout", "5",
            "--producer-property", "batch.size=1000", "--property", "parse.key=true", "--sync"]);
        Assert.True(options.Sync);
        Assert.Equal("true", options.ReaderProperties["parse.key"]);
        var settings = options.ProducerProperties.GroupBy(p => p.Key).ToDictionary(g => g.Key, g => g.Last().Value);
        Assert.Equal("lz4", settings["compression.type"]);
        Assert.Equal("1", settings["acks"]);
        Assert.Equal("5", settings["linger.ms"]);
        Assert.Equal("1000", settings["batch.size"]);
        Assert.Equal("console-producer", settings["client.id"]);
    }

    [Fact]
    public void Perf_consume_defaults_follow_kafka()
    {
        var options = ConsumerPerfCommand.Parse([.. Base, "--messages", "100"]);
        Assert.Equal(10_000, options.TimeoutMs);
        Assert.Equal(5_000, options.ReportingIntervalMs);
        Assert.StartsWith("perf-consumer-", options.ConsumerProperties.Last(p => p.Key == "group.id").Value, StringComparison.Ordinal);
        Assert.Equal("earliest", options.ConsumerProperties.Last(p => p.Key == "auto.offset.reset").Value);
    }

    [Theory]
    [InlineData("--messages", "0")]
    [InlineData("--messages", "10", "--timeout", "0")]
    [InlineData("--messages", "10", "--consumer-props", "x")]
    [InlineData("--messages", "lots")]
    public void Perf_consume_bad_arguments_are_usage_errors(params string[] extra)
    {
        Assert.Throws<UsageException>(() => ConsumerPerfCommand.Parse([.. Base, .. extra]));
    }
}
