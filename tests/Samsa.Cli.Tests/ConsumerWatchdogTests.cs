using System.Net;
using System.Net.Sockets;
using Samsa.Cli.Commands;
using Samsa.Cli.Commands.ConsoleTools;
using Samsa.Cli.Commands.Perf;

namespace Samsa.Cli.Tests;

public sealed class ConsumerWatchdogTests
{
    private sealed class Disposable : IDisposable
    {
        public int Disposed;

        public void Dispose() => Interlocked.Increment(ref Disposed);
    }

    private static async Task<bool> EventuallyAsync(Func<bool> condition, TimeSpan within)
    {
        var deadline = DateTime.UtcNow + within;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                return false;
            }
            await Task.Delay(10);
        }
        return true;
    }

    [Fact]
    public async Task Disposes_the_consumer_once_the_limit_passes_without_a_kick()
    {
        var consumer = new Disposable();
        using var watchdog = new ConsumerWatchdog(consumer, TimeSpan.FromMilliseconds(50), TimeProvider.System);
        Assert.True(await EventuallyAsync(() => watchdog.Fired, TimeSpan.FromSeconds(10)));
        Assert.Equal(1, consumer.Disposed);
    }

    [Fact]
    public async Task Kicks_keep_the_consumer_alive()
    {
        var consumer = new Disposable();
        using var watchdog = new ConsumerWatchdog(consumer, TimeSpan.FromSeconds(5), TimeProvider.System);
        for (int i = 0; i < 5; i++)
        {
            watchdog.Kick();
            await Task.Delay(20);
        }
        Assert.False(watchdog.Fired);
        Assert.Equal(0, consumer.Disposed);
    }

    private static int ClosedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    [Fact]
    public async Task Console_consume_timeout_ends_the_run_when_no_broker_answers()
    {
        var error = new StringWriter();
        using var output = new MemoryStream();
        var run = Task.Run(() => ConsoleConsumerCommand.RunAsync(["--bootstrap-server", $"127.0.0.1:{ClosedPort()}", "--topic", "t",
            "--timeout-ms", "300"], output, error));
        Assert.Same(run, await Task.WhenAny(run, Task.Delay(TimeSpan.FromSeconds(30))));
        Assert.Equal(0, await run);
        Assert.EndsWith("Processed a total of 0 messages", error.ToString().Trim());
    }

    [Fact]
    public async Task Perf_consume_timeout_ends_the_run_when_no_broker_answers()
    {
        var output = new StringWriter();
        var run = Task.Run(() => ConsumerPerfCommand.RunAsync(["--bootstrap-server", $"127.0.0.1:{ClosedPort()}", "--topic", "t",
            "--messages", "5", "--timeout", "300", "--hide-header"], output, new StringWriter(), interactive: false));
        Assert.Same(run, await Task.WhenAny(run, Task.Delay(TimeSpan.FromSeconds(30))));
        Assert.Equal(0, await run);
        Assert.StartsWith("WARNING: Exiting before consuming the expected number of messages", output.ToString(), StringComparison.Ordinal);
    }
}
