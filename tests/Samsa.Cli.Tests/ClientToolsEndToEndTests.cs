using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Samsa.Broker;
using Samsa.Broker.Config;
using Samsa.Cli.Commands.ConsoleTools;
using Samsa.Cli.Commands.Perf;
using Samsa.Client.Admin;

namespace Samsa.Cli.Tests;

/// <summary>The perf and console tools against an in-process broker, through Samsa.Client.</summary>
public sealed partial class ClientToolsEndToEndTests : IAsyncLifetime
{
    private readonly string _dataDir = Path.Combine(Path.GetTempPath(), "samsa-cli-tools-" + Guid.NewGuid().ToString("N"));
    private SamsaBroker _broker = null!;

    static ClientToolsEndToEndTests()
    {
        // The tools block in Consume as they do on their own main thread; here that holds pool threads the in-process
        // broker and the client's I/O also need, so the pool starts with enough of them.
        ThreadPool.GetMinThreads(out int workers, out int io);
        ThreadPool.SetMinThreads(Math.Max(workers, 32), Math.Max(io, 32));
    }

    public async Task InitializeAsync()
    {
        _broker = await SamsaBroker.StartAsync(new BrokerConfig
        {
            Listeners = [new ListenerEndpoint("PLAINTEXT", "127.0.0.1", 0)],
            LogDirs = [_dataDir],
            GroupInitialRebalanceDelayMs = 0,
        });
    }

    public async Task DisposeAsync()
    {
        await _broker.DisposeAsync();
        Directory.Delete(_dataDir, recursive: true);
    }

    private string Bootstrap => _broker.BootstrapServers;

    private async Task CreateTopicAsync(string topic, int partitions)
    {
        await using var admin = await AdminClient.ConnectAsync(Bootstrap);
        await admin.CreateTopicAsync(topic, partitions, 1);
    }

    [GeneratedRegex(@"^(\d+) records sent, \d+\.\d{6} records/sec \(\d+\.\d{2} MB/sec\), \d+\.\d{2} ms avg latency, \d+\.\d{2} ms max latency, \d+ ms 50th, \d+ ms 95th, \d+ ms 99th, \d+ ms 99\.9th\.$")]
    private static partial Regex ProducerTotalLine();

    [Fact]
    public async Task Perf_produce_then_perf_consume_reads_every_record()
    {
        await CreateTopicAsync("perf", 3);
        var output = new StringWriter();
        var error = new StringWriter();
        int exit = await ProducerPerfCommand.RunAsync(["--bootstrap-server", Bootstrap, "--topic", "perf", "--num-records", "20000",
            "--record-size", "100", "--throughput", "-1", "--producer-props", "acks=all", "linger.ms=1"], output, error, interactive: false);
        Assert.True(exit == 0, error.ToString());
        string last = output.ToString().TrimEnd().Split('\n')[^1].TrimEnd('\r');
        var total = ProducerTotalLine().Match(last);
        Assert.True(total.Success, last);
        Assert.Equal("20000", total.Groups[1].Value);
        Assert.DoesNotContain('\r', output.ToString().Replace(Environment.NewLine, "\n", StringComparison.Ordinal));

        output = new StringWriter();
        exit = await ConsumerPerfCommand.RunAsync(["--bootstrap-server", Bootstrap, "--topic", "perf", "--messages", "20000", "--timeout", "10000"],
            output, error, interactive: false);
        Assert.True(exit == 0, error.ToString());
        var lines = output.ToString().TrimEnd().Split('\n').Select(l => l.TrimEnd('\r')).ToArray();
        Assert.Equal(2, lines.Length);
        Assert.Equal(ConsumerPerfReport.Header(detailed: false), lines[0]);
        var columns = lines[1].Split(", ");
        Assert.Equal(10, columns.Length);
        Assert.Equal("20000", columns[4]);
        Assert.Equal((20000 * 100 / (1024.0 * 1024.0)).ToString("F4", CultureInfo.InvariantCulture), columns[2]);
    }

    [Fact]
    public async Task Transactional_perf_produce_commits_every_record_for_a_read_committed_consumer()
    {
        await CreateTopicAsync("txn", 2);
        var output = new StringWriter();
        var error = new StringWriter();
        int exit = await ProducerPerfCommand.RunAsync(["--bootstrap-server", Bootstrap, "--topic", "txn", "--num-records", "3000",
            "--record-size", "20", "--throughput", "10000", "--transaction-duration-ms", "50"], output, error, interactive: false);
        Assert.True(exit == 0, error.ToString());
        var transactions = new StringWriter();
        Assert.Equal(0, await Samsa.Cli.Commands.TransactionsCommand.RunAsync(["--bootstrap-server", Bootstrap, "--list"], transactions));
        Assert.Matches(@"performance-producer-\S+ +\d+ +CompleteCommit", transactions.ToString());
        output = new StringWriter();
        exit = await ConsumerPerfCommand.RunAsync(["--bootstrap-server", Bootstrap, "--topic", "txn", "--messages", "3000",
            "--consumer-props", "isolation.level=read_committed", "--hide-header"], output, error, interactive: false);
        Assert.True(exit == 0, error.ToString());
        Assert.Equal("3000", output.ToString().Trim().Split(", ")[4]);
    }

    [Fact]
    public async Task Warmup_records_add_a_steady_state_totals_line()
    {
        await CreateTopicAsync("warm", 1);
        var output = new StringWriter();
        var error = new StringWriter();
        Assert.Equal(0, await ProducerPerfCommand.RunAsync(["--bootstrap-server", Bootstrap, "--topic", "warm", "--num-records", "1000",
            "--record-size", "10", "--throughput", "-1", "--warmup-records", "100"], output, error, interactive: false));
        var lines = output.ToString().TrimEnd().Split('\n').Select(l => l.TrimEnd('\r')).ToArray();
        Assert.Equal("Warmup first 100 records. Steady state results will print after the complete test summary.", lines[0]);
        Assert.StartsWith("1000 records sent, ", lines[^2], StringComparison.Ordinal);
        Assert.StartsWith("900 steady state records sent, ", lines[^1], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Monotonic_payloads_are_the_record_numbers_in_order()
    {
        await CreateTopicAsync("numbers", 1);
        var error = new StringWriter();
        Assert.Equal(0, await ProducerPerfCommand.RunAsync(["--bootstrap-server", Bootstrap, "--topic", "numbers", "--num-records", "50",
            "--payload-monotonic", "--throughput", "-1"], new StringWriter(), error, interactive: false));
        using var output = new MemoryStream();
        Assert.Equal(0, await ConsoleConsumerCommand.RunAsync(["--bootstrap-server", Bootstrap, "--topic", "numbers", "--from-beginning",
            "--max-messages", "50", "--timeout-ms", "10000"], output, error));
        Assert.Equal(Enumerable.Range(0, 50).Select(i => i.ToString(CultureInfo.InvariantCulture)),
            Encoding.UTF8.GetString(output.ToArray()).Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [Fact]
    public async Task Console_producer_prompts_before_each_line_on_a_terminal()
    {
        var prompt = new StringWriter();
        var error = new StringWriter();
        Assert.Equal(0, await ConsoleProducerCommand.RunAsync(["--bootstrap-server", Bootstrap, "--topic", "prompted", "--timeout", "0"],
            new StringReader("a\nb\n"), error, prompt));
        Assert.Equal(">>>", prompt.ToString());
    }

    [Fact]
    public async Task Perf_consume_stops_with_kafkas_warning_when_records_run_out()
    {
        await CreateTopicAsync("short", 1);
        var output = new StringWriter();
        var error = new StringWriter();
        Assert.Equal(0, await ProducerPerfCommand.RunAsync(["--bootstrap-server", Bootstrap, "--topic", "short", "--num-records", "10",
            "--record-size", "10", "--throughput", "-1"], output, error, interactive: false));
        output = new StringWriter();
        Assert.Equal(0, await ConsumerPerfCommand.RunAsync(["--bootstrap-server", Bootstrap, "--topic", "short", "--messages", "11",
            "--timeout", "1500", "--hide-header"], output, error, interactive: false));
        var lines = output.ToString().TrimEnd().Split('\n').Select(l => l.TrimEnd('\r')).ToArray();
        Assert.Equal(ConsumerPerfReport.TimeoutWarning(1500), lines[0]);
        Assert.Equal("10", lines[1].Split(", ")[4]);
    }

    [Fact]
    public async Task Throttled_perf_produce_holds_the_target_rate()
    {
        await CreateTopicAsync("slow", 1);
        var output = new StringWriter();
        var error = new StringWriter();
        var started = DateTime.UtcNow;
        Assert.Equal(0, await ProducerPerfCommand.RunAsync(["--bootstrap-server", Bootstrap, "--topic", "slow", "--num-records", "300",
            "--record-size", "10", "--throughput", "200"], output, error, interactive: false));
        // 300 records at 200/s cannot finish in under a second.
        Assert.True(DateTime.UtcNow - started >= TimeSpan.FromSeconds(1), output.ToString());
    }

    [Fact]
    public async Task Console_produce_then_consume_gives_back_keys_headers_and_values_exactly()
    {
        await CreateTopicAsync("lines", 1);
        string[] lines =
        [
            "trace:abc,tenant:t1\tuser-1\tfirst value",
            "trace:def\tuser-2\tsecond\u00e9 value with: colons",
            "trace:\tuser-3\t",
        ];
        var error = new StringWriter();
        int exit = await ConsoleProducerCommand.RunAsync(["--bootstrap-server", Bootstrap, "--topic", "lines",
            "--property", "parse.key=true", "--property", "parse.headers=true", "--timeout", "0"],
            new StringReader(string.Join('\n', lines) + "\n"), error);
        Assert.True(exit == 0, error.ToString());

        using var output = new MemoryStream();
        exit = await ConsoleConsumerCommand.RunAsync(["--bootstrap-server", Bootstrap, "--topic", "lines", "--from-beginning",
            "--max-messages", "3", "--timeout-ms", "10000", "--property", "print.key=true", "--property", "print.headers=true"], output, error);
        Assert.True(exit == 0, error.ToString());
        Assert.Equal(string.Join('\n', lines) + "\n", Encoding.UTF8.GetString(output.ToArray()));
        Assert.EndsWith("Processed a total of 3 messages", error.ToString().Trim());
    }

    [Fact]
    public async Task Console_consume_prints_partition_offset_and_timestamp_from_an_offset()
    {
        await CreateTopicAsync("fields", 2);
        var error = new StringWriter();
        Assert.Equal(0, await ConsoleProducerCommand.RunAsync(["--bootstrap-server", Bootstrap, "--topic", "fields",
            "--property", "parse.key=true", "--property", "key.separator=:", "--timeout", "0"], new StringReader("k:a\nk:b\nk:c\n"), error));

        using var output = new MemoryStream();
        // Every record has key k, so all three are in one partition; find it by reading both from offset 1.
        var seen = new List<string>();
        for (int partition = 0; partition < 2; partition++)
        {
            output.SetLength(0);
            Assert.Equal(0, await ConsoleConsumerCommand.RunAsync(["--bootstrap-server", Bootstrap, "--topic", "fields",
                "--partition", partition.ToString(CultureInfo.InvariantCulture), "--offset", "1", "--timeout-ms", "1500",
                "--property", "print.partition=true", "--property", "print.offset=true", "--property", "print.timestamp=true",
                "--property", "print.key=true", "--property", "key.separator=|"], output, error));
            seen.AddRange(Encoding.UTF8.GetString(output.ToArray()).Split('\n', StringSplitOptions.RemoveEmptyEntries));
        }
        Assert.Equal(2, seen.Count);
        Assert.Matches(@"^CreateTime:\d{13}\|Partition:[01]\|Offset:1\|k\|b$", seen[0]);
        Assert.Matches(@"^CreateTime:\d{13}\|Partition:[01]\|Offset:2\|k\|c$", seen[1]);
    }

    [Fact]
    public async Task Perf_e2e_prints_average_and_percentiles()
    {
        var output = new StringWriter();
        var error = new StringWriter();
        int exit = await EndToEndLatencyCommand.RunAsync(["--bootstrap-server", Bootstrap, "--topic", "e2e", "--num-records", "30",
            "--record-size", "64", "--producer-props", "acks=1"], output, error, interactive: false);
        Assert.True(exit == 0, error.ToString() + output);
        var lines = output.ToString().TrimEnd().Split('\n').Select(l => l.TrimEnd('\r')).ToArray();
        Assert.Equal("Topic \"e2e\" does not exist. Will create topic with 1 partition(s) and replication factor = 1", lines[0]);
        Assert.Matches(@"^0\t\d+\.\d+", lines[1]);
        Assert.Matches(@"^Avg latency: \d+\.\d{4} ms$", lines[^2]);
        Assert.Matches(@"^Percentiles: 50th = \d+, 99th = \d+, 99\.9th = \d+$", lines[^1]);
    }

    [Fact]
    public async Task Bad_producer_property_is_refused_with_exit_code_2()
    {
        var (exit, stdout, stderr) = await CliProcess.RunAsync("perf", "produce", "--bootstrap-server", Bootstrap, "--topic", "t",
            "--num-records", "1", "--record-size", "1", "--throughput", "-1", "--producer-props", "linger.ms=soon");
        Assert.Equal(2, exit);
        Assert.Equal("", stdout);
        Assert.Contains("linger.ms", stderr);
    }

    [Fact]
    public async Task Perf_produce_run_as_a_process_prints_only_kafka_lines_when_redirected()
    {
        var (exit, stdout, stderr) = await CliProcess.RunAsync("perf", "produce", "--bootstrap-server", Bootstrap, "--topic", "proc",
            "--num-records", "500", "--record-size", "50", "--throughput", "-1");
        Assert.True(exit == 0, stderr);
        var lines = stdout.TrimEnd().Split('\n');
        Assert.Matches(ProducerTotalLine(), lines[^1].TrimEnd('\r'));
        Assert.DoesNotContain("[#", stdout);
    }
}
