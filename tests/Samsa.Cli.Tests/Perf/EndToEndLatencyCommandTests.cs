using Samsa.Cli.Commands;
using Samsa.Cli.Commands.Perf;

namespace Samsa.Cli.Tests.Perf;

public sealed class EndToEndLatencyCommandTests
{
    [Fact]
    public void Results_are_kafkas_two_lines()
    {
        var latencies = Enumerable.Range(0, 1000).Select(i => (long)(999 - i)).ToArray();
        double total = latencies.Sum() + 0.5;
        Assert.Equal(["Avg latency: 499.5005 ms", "Percentiles: 50th = 500, 99th = 990, 99.9th = 999"], EndToEndLatencyCommand.Results(total, latencies));
    }

    [Fact]
    public void Progress_values_print_like_java_doubles()
    {
        Assert.Equal("2.0", EndToEndLatencyCommand.JavaDouble(2));
        Assert.Equal("1.25", EndToEndLatencyCommand.JavaDouble(1.25));
    }

    [Theory]
    [InlineData("--topic", "t", "--num-records", "10", "--record-size", "10")]
    [InlineData("--bootstrap-server", "h:1", "--topic", "t", "--num-records", "0", "--record-size", "10")]
    [InlineData("--bootstrap-server", "h:1", "--topic", "t", "--num-records", "10", "--record-size", "-1")]
    [InlineData("--bootstrap-server", "h:1", "--topic", "t", "--num-records", "10", "--record-size", "10", "--producer-props", "acks=0")]
    [InlineData("--bootstrap-server", "h:1", "--topic", "t", "--num-records", "10", "--record-size", "10", "--bogus", "1")]
    public void Bad_arguments_are_usage_errors(params string[] args)
    {
        Assert.Throws<UsageException>(() => EndToEndLatencyCommand.Parse(args));
    }

    [Fact]
    public void Props_override_the_latency_defaults()
    {
        var options = EndToEndLatencyCommand.Parse(["--bootstrap-server", "h:1", "--topic", "t", "--num-records", "5", "--record-size", "8",
            "--producer-props", "acks=1", "linger.ms=2", "--consumer-props", "fetch.max.wait.ms=10"]);
        Assert.Equal("2", options.ProducerProperties.Last(p => p.Key == "linger.ms").Value);
        Assert.Equal("1", options.ProducerProperties.Last(p => p.Key == "acks").Value);
        Assert.Equal("10", options.ConsumerProperties.Last(p => p.Key == "fetch.max.wait.ms").Value);
    }
}
