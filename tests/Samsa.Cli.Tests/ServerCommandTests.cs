using System.Text.RegularExpressions;

namespace Samsa.Cli.Tests;

public sealed class ServerCommandTests : IDisposable
{
    private readonly string _dataDir = Path.Combine(Path.GetTempPath(), "samsa-cli-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_dataDir))
        {
            Directory.Delete(_dataDir, recursive: true);
        }
    }

    [Theory]
    [InlineData("num.partitions=abc", "num.partitions")]
    [InlineData("listeners=HTTP://127.0.0.1:1", "listeners")]
    [InlineData("socket.request.max.bytes=-5", "socket.request.max.bytes")]
    public async Task Invalid_value_stops_start_up_naming_the_key(string setting, string key)
    {
        var (exitCode, stdout, stderr) = await CliProcess.RunAsync("server", "start", "--override", $"log.dirs={_dataDir}", "--override", setting);
        Assert.NotEqual(0, exitCode);
        Assert.Contains($"'{key}'", stderr);
        Assert.DoesNotContain("ready", stdout);
    }

    [Fact]
    public async Task Missing_properties_file_is_an_error_naming_it()
    {
        var (exitCode, _, stderr) = await CliProcess.RunAsync("server", "start", "/nonexistent/server.properties");
        Assert.NotEqual(0, exitCode);
        Assert.Contains("/nonexistent/server.properties", stderr);
    }

    [Fact]
    public async Task Broker_prints_ready_and_stops_cleanly_on_sigterm_with_settings_from_file_and_environment()
    {
        Directory.CreateDirectory(_dataDir);
        string properties = Path.Combine(_dataDir, "server.properties");
        await File.WriteAllTextAsync(properties, "broker.id=7\nlisteners=PLAINTEXT://127.0.0.1:0\nsome.unknown.key=1\n");
        string logDir = Path.Combine(_dataDir, "logs");
        using var process = CliProcess.Start(["server", "start", properties], new Dictionary<string, string> { ["SAMSA_LOG_DIRS"] = logDir });
        var stderr = process.StandardError.ReadToEndAsync();
        string? line = await process.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(30));
        Assert.NotNull(line);
        Assert.Matches(new Regex(@"^Samsa broker 7 ready on PLAINTEXT://127\.0\.0\.1:\d+"), line);
        Assert.True(File.Exists(Path.Combine(logDir, "meta.properties")));

        Posix.Kill(process.Id, Posix.SigTerm);
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(0, process.ExitCode);
        Assert.Contains("some.unknown.key", await stderr);
    }
}

internal static partial class Posix
{
    public const int SigTerm = 15;

    [System.Runtime.InteropServices.LibraryImport("libc", EntryPoint = "kill")]
    public static partial int Kill(int pid, int signal);
}
