using System.Diagnostics;
using System.Text.RegularExpressions;
using BenchmarkDotNet.Attributes;
using Samsa.Client;
using Samsa.Client.Admin;
using Samsa.Client.Config;
using Samsa.Client.Producer;

namespace Samsa.Benchmarks;

/// <summary>
/// Samsa.Client's producer hot path: 10,000 records handed to the producer and flushed to a real broker, per
/// operation, so "Allocated" is bytes per record. The broker runs as a separate process (started here, or the one
/// named by SAMSA_BOOTSTRAP) because MemoryDiagnoser counts every allocation of this process, and the broker's are
/// not the producer's. <see cref="Engine"/> is the allocation-free raw API (with a delivery handler per record);
/// <see cref="Typed"/> is the Confluent-style API, which allocates a message object per record by its shape.
/// </summary>
[MemoryDiagnoser]
[WarmupCount(3)]
[IterationCount(10)]
public class ProducerBenchmarks
{
    private const int Records = 10_000;

    private Process? _broker;
    private string _dataDir = "";
    private KafkaProducer _engine = null!;
    private IProducer<Null, byte[]> _typed = null!;
    private byte[] _value = [];
    private readonly CountingHandler _handler = new();
    private Message<Null, byte[]> _message = null!;

    [Params(100, 1024)]
    public int RecordSize { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        string bootstrap = Environment.GetEnvironmentVariable("SAMSA_BOOTSTRAP") ?? StartBroker();
        string topic = $"producer-bench-{RecordSize}";
        var admin = AdminClient.ConnectAsync(bootstrap).GetAwaiter().GetResult();
        try
        {
            admin.CreateTopicAsync(topic, 1).GetAwaiter().GetResult();
        }
        catch (KafkaException e) when (e.Error == Protocol.ErrorCode.TopicAlreadyExists)
        {
        }
        finally
        {
            admin.DisposeAsync().AsTask().GetAwaiter().GetResult();
        }
        var config = new ProducerConfig { BootstrapServers = bootstrap, Acks = Acks.Leader, LingerMs = 5, BatchSize = 1_000_000 };
        _engine = KafkaProducer.Create(config);
        _typed = new ProducerBuilder<Null, byte[]>(config).Build();
        _value = new byte[RecordSize];
        Random.Shared.NextBytes(_value);
        _message = new Message<Null, byte[]> { Value = _value };
        _topic = topic;
        // Fill the producer's buffer pools before measuring: a steady producer reuses its batch buffers.
        for (int round = 0; round < 20; round++)
        {
            Engine();
            Typed();
        }
    }

    private string _topic = "";

    [Benchmark(OperationsPerInvoke = Records)]
    public void Engine()
    {
        for (int i = 0; i < Records; i++)
        {
            _engine.Produce(_topic, KafkaProducer.AnyPartition, _value, _handler, i);
        }
        _engine.FlushAsync().GetAwaiter().GetResult();
    }

    [Benchmark(OperationsPerInvoke = Records)]
    public void Typed()
    {
        for (int i = 0; i < Records; i++)
        {
            _typed.Produce(_topic, _message);
        }
        _typed.Flush(CancellationToken.None);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _engine.Dispose();
        _typed.Dispose();
        if (_broker is not null)
        {
            _broker.Kill(entireProcessTree: true);
            _broker.WaitForExit();
            Directory.Delete(_dataDir, recursive: true);
        }
    }

    /// <summary>Starts `samsa server start` from this repository's build on a free port and waits for its ready line.</summary>
    private string StartBroker()
    {
        string root = AppContext.BaseDirectory;
        while (!File.Exists(Path.Combine(root, "Samsa.slnx")))
        {
            root = Path.GetDirectoryName(root) ?? throw new InvalidOperationException("run inside the Samsa repository, or set SAMSA_BOOTSTRAP");
        }
        string cli = Path.Combine(root, "src", "Samsa.Cli", "bin", "Release", "net10.0", "samsa.dll");
        _dataDir = Path.Combine(Path.GetTempPath(), "samsa-producer-bench-" + Guid.NewGuid().ToString("N"));
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string arg in new[] { cli, "server", "start", "--override", $"log.dirs={_dataDir}", "--override", "listeners=PLAINTEXT://127.0.0.1:0" })
        {
            start.ArgumentList.Add(arg);
        }
        _broker = Process.Start(start) ?? throw new InvalidOperationException("cannot start the broker");
        _broker.ErrorDataReceived += (_, _) => { };
        _broker.BeginErrorReadLine();
        while (_broker.StandardOutput.ReadLine() is { } line)
        {
            var ready = Regex.Match(line, @"ready on PLAINTEXT://(\S+)");
            if (ready.Success)
            {
                _ = _broker.StandardOutput.ReadToEndAsync();
                return ready.Groups[1].Value;
            }
        }
        throw new InvalidOperationException("the broker exited before it was ready");
    }

    private sealed class CountingHandler : IDeliveryHandler
    {
        public long Failed;

        public void OnDelivery(long token, in DeliveryInfo info)
        {
            if (!info.IsSuccess)
            {
                Interlocked.Increment(ref Failed);
            }
        }
    }
}
