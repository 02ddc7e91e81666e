using System.Text;
using Samsa.Cli.Commands;
using Samsa.Cli.Commands.Perf;

namespace Samsa.Cli.Tests.Perf;

public sealed class ProducerPerfCommandTests
{
    private static readonly string[] Required = ["--bootstrap-server", "127.0.0.1:1", "--topic", "t", "--num-records", "10", "--throughput", "-1"];

    [Fact]
    public void Parses_kafkas_options()
    {
        var options = ProducerPerfCommand.Parse([.. Required, "--record-size", "100", "--producer-props", "acks=1", "linger.ms=0", "--print-metrics"]);
        Assert.Equal("t", options.Topic);
        Assert.Equal(10, options.NumRecords);
        Assert.Equal(100, options.RecordSize);
        Assert.Equal(-1, options.Throughput);
        Assert.True(options.PrintMetrics);
        Assert.Equal(
            [new("client.id", "perf-producer-client"), new("acks", "1"), new("linger.ms", "0"), new("bootstrap.servers", "127.0.0.1:1")],
            options.ProducerProperties);
    }

    [Fact]
    public void Bootstrap_may_come_from_the_producer_config_file_and_props_override_the_file()
    {
        string file = Path.GetTempFileName();
        try
        {
            File.WriteAllText(file, "# perf\nbootstrap.servers=127.0.0.1:2\nacks = 1\nvalue.serializer=org.apache.kafka.common.serialization.ByteArraySerializer\n");
            var options = ProducerPerfCommand.Parse(["--topic", "t", "--num-records", "1", "--throughput", "10", "--record-size", "1",
                "--producer.config", file, "--producer-props", "acks=all"]);
            Assert.Equal("127.0.0.1:2", options.ProducerProperties.Last(p => p.Key == "bootstrap.servers").Value);
            Assert.Equal("all", options.ProducerProperties.Last(p => p.Key == "acks").Value);
            Assert.DoesNotContain(options.ProducerProperties, p => p.Key == "value.serializer");
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Theory]
    [InlineData("--record-size", "0")]
    [InlineData("--record-size", "x")]
    [InlineData("--record-size", "10", "--payload-file", "f")]
    [InlineData("--record-size", "10", "--payload-monotonic")]
    [InlineData("--record-size", "10", "--warmup-records", "10")]
    [InlineData("--num-records", "0", "--record-size", "10")]
    [InlineData("--record-size", "10", "--producer-props", "acks")]
    [InlineData("--record-size", "10", "--unknown", "1")]
    [InlineData("--record-size", "10", "stray")]
    public void Bad_arguments_are_usage_errors(params string[] extra)
    {
        Assert.Throws<UsageException>(() => ProducerPerfCommand.Parse([.. Required, .. extra]));
    }

    [Fact]
    public void Missing_required_options_are_named()
    {
        Assert.Contains("--throughput", Assert.Throws<UsageException>(() =>
            ProducerPerfCommand.Parse(["--bootstrap-server", "h:1", "--topic", "t", "--num-records", "1", "--record-size", "1"])).Message);
        Assert.Contains("--bootstrap-server", Assert.Throws<UsageException>(() =>
            ProducerPerfCommand.Parse(["--topic", "t", "--num-records", "1", "--record-size", "1", "--throughput", "1"])).Message);
    }

    [Fact]
    public void A_transaction_duration_turns_transactions_on_with_kafkas_default_id()
    {
        var options = ProducerPerfCommand.Parse([.. Required, "--record-size", "1", "--transaction-duration-ms", "100"]);
        Assert.Equal(100, options.TransactionDurationMs);
        Assert.StartsWith("performance-producer-", options.ProducerProperties.Last(p => p.Key == "transactional.id").Value, StringComparison.Ordinal);

        options = ProducerPerfCommand.Parse([.. Required, "--record-size", "1", "--producer-props", "transactional.id=tx-1"]);
        Assert.Equal(3000, options.TransactionDurationMs);
        Assert.Equal("tx-1", options.ProducerProperties.Last(p => p.Key == "transactional.id").Value);

        Assert.Null(ProducerPerfCommand.Parse([.. Required, "--record-size", "1"]).TransactionDurationMs);
        Assert.Throws<UsageException>(() => ProducerPerfCommand.Parse([.. Required, "--record-size", "1", "--transaction-duration-ms", "0"]));
    }

    [Fact]
    public void Random_payload_is_uppercase_letters()
    {
        var payload = ProducerPerfCommand.RandomPayload(1000, new Random(0));
        Assert.Equal(1000, payload.Length);
        Assert.All(payload, b => Assert.InRange(b, (byte)'A', (byte)'Z'));
        Assert.True(payload.Distinct().Count() > 20);
    }

    [Fact]
    public void Payload_file_is_split_at_the_delimiter()
    {
        string file = Path.GetTempFileName();
        try
        {
            File.WriteAllText(file, "one\ntwo\n\nthree\n");
            var output = new StringWriter();
            var payloads = ProducerPerfCommand.ReadPayloadFile(file, "\n", output);
            Assert.Equal(["one", "two", "three"], payloads.Select(p => Encoding.UTF8.GetString(p)));
            Assert.EndsWith("Number of messages read: 3", output.ToString().Trim());
        }
        finally
        {
            File.Delete(file);
        }
    }
}
