namespace Samsa.Cli.Tests;

/// <summary>The new tools through the samsa process: help, and one error line with exit code 2 for a bad argument.</summary>
public sealed class CliUsageTests
{
    [Theory]
    [InlineData("perf", "produce")]
    [InlineData("perf", "consume")]
    [InlineData("perf", "e2e")]
    [InlineData("produce")]
    [InlineData("consume")]
    public async Task Help_prints_the_tools_usage(params string[] command)
    {
        var (exit, stdout, _) = await CliProcess.RunAsync([.. command, "--help"]);
        Assert.Equal(0, exit);
        Assert.StartsWith($"Usage: samsa {string.Join(' ', command)} ", stdout, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("perf", "produce", "--topic", "t", "--num-records", "ten")]
    [InlineData("perf", "consume", "--bootstrap-server", "127.0.0.1:1", "--topic", "t")]
    [InlineData("perf", "launch")]
    [InlineData("consume", "--bootstrap-server", "127.0.0.1:1", "--topic", "t", "--offset", "3")]
    [InlineData("produce", "--bootstrap-server", "127.0.0.1:1")]
    public async Task A_bad_argument_is_one_error_line_and_exit_code_2(params string[] args)
    {
        var (exit, stdout, stderr) = await CliProcess.RunAsync(args);
        Assert.Equal(2, exit);
        Assert.Equal("", stdout);
        Assert.StartsWith("samsa: ", stderr, StringComparison.Ordinal);
    }
}
