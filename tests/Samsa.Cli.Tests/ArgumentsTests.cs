using Samsa.Cli.Commands;

namespace Samsa.Cli.Tests;

public sealed class ArgumentsTests
{
    [Fact]
    public void Multi_valued_option_takes_every_word_up_to_the_next_option()
    {
        var a = new Arguments(["--producer-props", "acks=1", "linger.ms=5", "--topic", "t", "--producer-props", "batch.size=100"],
            new HashSet<string>(), new HashSet<string> { "--producer-props" });
        Assert.Equal(["acks=1", "linger.ms=5", "batch.size=100"], a.GetAll("--producer-props"));
        Assert.Equal("t", a.Get("--topic"));
        Assert.Empty(a.Positional);
    }

    [Fact]
    public void Single_valued_option_leaves_later_words_positional()
    {
        var a = new Arguments(["--topic", "t", "extra"], new HashSet<string>());
        Assert.Equal("t", a.Get("--topic"));
        Assert.Equal(["extra"], a.Positional);
    }

    [Fact]
    public void Negative_numbers_are_values_not_options()
    {
        var a = new Arguments(["--throughput", "-1", "--offset", "-5"], new HashSet<string>());
        Assert.Equal(-1.0, a.GetDouble("--throughput"));
        Assert.Equal(-5L, a.GetLong("--offset"));
    }

    [Fact]
    public void Non_numeric_values_are_usage_errors_naming_the_option()
    {
        var a = new Arguments(["--num-records", "ten", "--throughput", "fast"], new HashSet<string>());
        Assert.Contains("--num-records", Assert.Throws<UsageException>(() => a.GetLong("--num-records")).Message);
        Assert.Contains("--throughput", Assert.Throws<UsageException>(() => a.GetDouble("--throughput")).Message);
    }
}
