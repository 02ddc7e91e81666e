using Samsa.Cli.Commands;
using Samsa.Cli.Commands.Perf;

namespace Samsa.Cli.Tests.Perf;

public sealed class EndToEndLatencyCommandTests
{
    [Fact]
    public void Results_are_kafkas_two_lines()
    {
        var latencies = Enumerable.Range(0, 1000).Select(i => 999 - i + 0.25).ToArray();
        double total = latencies.Sum() + 0.5;
        Assert.Equal(["Avg latency: 499.7505 ms", "Percentiles: 50th = 500, 99th = 990, 99.9th = 999"], EndToEndLatencyCommand.Results(total, latencies));
    }

    [Fact]
    public void Precise_results_keep_three_decimals()
    {
        var latencies = new[] { 0.2345, 0.1, 0.9, 0.3 };
        Assert.Equal("Percentiles: 50th = 0.300, 99th = 0.900, 99.9th = 0.900", EndToEndLatencyCommand.Results(1.5345, latencies, precise: true)[1]);
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
