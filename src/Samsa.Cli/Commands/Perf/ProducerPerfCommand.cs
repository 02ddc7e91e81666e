using System.Buffers.Text;
using System.Globalization;
using System.Text;
using Samsa.Client;
using Samsa.Client.Config;
using Samsa.Client.Producer;

namespace Samsa.Cli.Commands.Perf;

/// <summary>
/// `samsa perf produce`: kafka-producer-perf-test. Sends --num-records records of one reused payload (random
/// uppercase letters, lines of --payload-file, or the record's number with --payload-monotonic) through the <see cref="KafkaProducer"/> engine, throttled to
/// --throughput, and prints a window line every 5 s and a totals line with latency percentiles at the end, in
/// Kafka's formats. A record's latency is its delivery time minus its send time; send times live in a preallocated
/// ring indexed by the record's token, so the send loop and the delivery handler allocate nothing per record.
/// </summary>
internal static class ProducerPerfCommand
{
    public const string Usage = """
        Usage: samsa perf produce --bootstrap-server HOST:PORT --topic TOPIC --num-records N
                                  (--record-size BYTES | --payload-file FILE [--payload-delimiter D] | --payload-monotonic)
                                  --throughput RECORDS_PER_SEC (-1: unlimited)
                                  [--producer-props key=value ...] [--producer.config FILE] [--print-metrics]
                                  [--transactional-id ID] [--transaction-duration-ms MS] [--warmup-records N]
          Like kafka-producer-perf-test: every 5 s
            N records sent, X records/sec (Y MB/sec), A ms avg latency, M ms max latency.
          and at the end
            N records sent, X records/sec (Y MB/sec), A ms avg latency, M ms max latency, P ms 50th, P ms 95th, P ms 99th, P ms 99.9th.
          (MB = 1024*1024 bytes). Exit code 1 when any record failed. With a transactional id (--transactional-id, or
          transactional.id in the props) or --transaction-duration-ms, records go in transactions committed every
          --transaction-duration-ms (default 3000). With --warmup-records, a second totals line
            N steady state records sent, ...
          follows for the records after the warmup.
        """;

    /// <summary>The most send times kept: a record whose slot is still in flight waits for it.</summary>
    internal const int MaxInFlightSlots = 1 << 22;

    private const long DefaultTransactionDurationMs = 3000;

    private static readonly HashSet<string> Flags = new(StringComparer.Ordinal) { "--print-metrics", "--payload-monotonic" };
    private static readonly HashSet<string> MultiValued = new(StringComparer.Ordinal) { "--producer-props" };

    /// <summary>The parsed command line.</summary>
    internal sealed record Options(
        string Topic,
        long NumRecords,
        int? RecordSize,
        string? PayloadFile,
        string PayloadDelimiter,
        double Throughput,
        List<KeyValuePair<string, string>> ProducerProperties,
        bool PrintMetrics,
        long? TransactionDurationMs = null,
        long WarmupRecords = 0,
        bool PayloadMonotonic = false);

    internal static Options Parse(string[] args)
    {
        var a = new Arguments(args, Flags, MultiValued);
        string? bootstrap = a.Get("--bootstrap-server");
        string topic = a.Require("--topic");
        long numRecords = a.GetLong("--num-records") ?? throw new UsageException("missing required option --num-records");
        int? recordSize = a.GetInt("--record-size");
        string? payloadFile = a.Get("--payload-file");
        string delimiter = a.Get("--payload-delimiter") ?? "\n";
        bool monotonic = a.Has("--payload-monotonic");
        double throughput = a.GetDouble("--throughput") ?? throw new UsageException("missing required option --throughput");
        var properties = ClientProperties.Collect(a.Get("--producer.config"), a.GetAll("--producer-props"), "--producer-props");
        bool printMetrics = a.Has("--print-metrics");
        string? transactionalId = a.Get("--transactional-id");
        long? transactionDurationMs = a.GetLong("--transaction-duration-ms");
        long warmupRecords = Math.Max(a.GetLong("--warmup-records") ?? 0, 0);
        if (a.Positional.Count > 0)
        {
            throw new UsageException($"unexpected argument '{a.Positional[0]}'");
        }
        a.RejectUnknown();
        if (numRecords <= 0)
        {
            throw new UsageException("--num-records should be greater than zero");
        }
        if ((recordSize is null ? 0 : 1) + (payloadFile is null ? 0 : 1) + (monotonic ? 1 : 0) != 1)
        {
            throw new UsageException("give exactly one of --record-size, --payload-file, --payload-monotonic");
        }
        if (recordSize <= 0)
        {
            throw new UsageException("--record-size should be greater than zero");
        }
        if (warmupRecords >= numRecords)
        {
            throw new UsageException("--warmup-records must be fewer than --num-records");
        }
        if (transactionDurationMs <= 0)
        {
            throw new UsageException("--transaction-duration-ms should be greater than zero");
        }
        if (delimiter.Length == 0)
        {
            throw new UsageException("--payload-delimiter must not be empty");
        }
        if (bootstrap is not null)
        {
            properties.Add(new("bootstrap.servers", bootstrap));
        }
        if (!properties.Exists(p => p.Key is "bootstrap.servers" or "metadata.broker.list"))
        {
            throw new UsageException("missing required option --bootstrap-server (or bootstrap.servers in --producer-props or --producer.config)");
        }
        if (!properties.Exists(p => p.Key == "client.id"))
        {
            properties.Insert(0, new("client.id", "perf-producer-client"));
        }
        bool transactional = transactionDurationMs is not null || transactionalId is not null
            || properties.Exists(p => p.Key == "transactional.id");
        if (transactional)
        {
            transactionalId ??= properties.FindLast(p => p.Key == "transactional.id").Value ?? "performance-producer-" + Guid.NewGuid().ToString();
            properties.Add(new("transactional.id", transactionalId));
            transactionDurationMs ??= DefaultTransactionDurationMs;
        }
        return new Options(topic, numRecords, recordSize, payloadFile, delimiter, throughput, properties, printMetrics, transactionDurationMs, warmupRecords, monotonic);
    }

    public static async Task<int> RunAsync(string[] args, TextWriter output, TextWriter error, bool interactive, TimeProvider? time = null)
    {
        var options = Parse(args);
        time ??= TimeProvider.System;
        byte[][] payloads = options.PayloadFile is not null ? ReadPayloadFile(options.PayloadFile, options.PayloadDelimiter, output)
            : options.PayloadMonotonic ? [new byte[20]]
            : [RandomPayload(options.RecordSize!.Value, new Random(0))];

        var config = new ProducerConfig(options.ProducerProperties);
        var producer = KafkaProducer.Create(config);
        await using (producer.ConfigureAwait(false))
        {
            var clock = new PerfClock(time);
            var progress = new ProgressBar(output, interactive, time, options.NumRecords, "records");
            var stats = new ProducerPerfStats(options.NumRecords, clock.NowMicros, progress.WriteLine);
            var handler = new PerfDeliveryHandler(clock, stats, (int)Math.Min(options.NumRecords, MaxInFlightSlots), error);
            var throttler = new ThroughputThrottler(options.Throughput, time.GetTimestamp(), time);
            ProducerPerfStats? steadyStats = null;
            if (options.WarmupRecords > 0)
            {
                output.WriteLine($"Warmup first {options.WarmupRecords} records. Steady state results will print after the complete test summary.");
            }
            var random = new Random(0);
            string topic = options.Topic;
            long? transactionDuration = options.TransactionDurationMs * 1000;
            long transactionStartMicros = 0;
            long transactionSize = 0;
            try
            {
                if (transactionDuration is not null)
                {
                    await producer.InitTransactionsAsync().ConfigureAwait(false);
                }
                for (long i = 0; i < options.NumRecords; i++)
                {
                    byte[] payload = payloads.Length == 1 ? payloads[0] : payloads[random.Next(payloads.Length)];
                    int size = payload.Length;
                    if (options.PayloadMonotonic)
                    {
                        Utf8Formatter.TryFormat(i, payload, out size);
                    }
                    long sendTimestamp = time.GetTimestamp();
                    long sendMicros = clock.ToMicros(sendTimestamp);
                    if (i == options.WarmupRecords && i > 0)
                    {
                        steadyStats = new ProducerPerfStats(options.NumRecords - options.WarmupRecords, sendMicros, progress.WriteLine, steadyState: true);
                        stats.SuppressWindows();
                        handler.StartSteadyState(i, steadyStats);
                    }
                    if (transactionDuration is not null && transactionSize == 0)
                    {
                        producer.BeginTransaction();
                        transactionStartMicros = sendMicros;
                    }
                    handler.Sending(i, sendMicros, size);
                    producer.Produce(new ProduceRecord(topic, payload.AsSpan(0, size)), handler, i);
                    transactionSize++;
                    if (transactionDuration <= sendMicros - transactionStartMicros)
                    {
                        await producer.CommitTransactionAsync().ConfigureAwait(false);
                        transactionSize = 0;
                    }
                    bool throttled = throttler.ShouldThrottle(i, sendTimestamp);
                    if (throttled)
                    {
                        throttler.Throttle();
                    }
                    if (throttled || (i & 1023) == 0)
                    {
                        progress.Update(stats.Count);
                    }
                }
                if (transactionDuration is not null && transactionSize > 0)
                {
                    await producer.CommitTransactionAsync().ConfigureAwait(false);
                }
                var flush = producer.FlushAsync();
                while (interactive && await Task.WhenAny(flush, Task.Delay(ProgressBar.RedrawInterval, time)).ConfigureAwait(false) != flush)
                {
                    progress.Update(stats.Count);
                }
                await flush.ConfigureAwait(false);
            }
            catch (KafkaException e)
            {
                progress.Clear();
                error.WriteLine($"samsa: {e.Message}");
                return 1;
            }
            progress.Clear();
            long endMicros = clock.NowMicros;
            output.WriteLine(stats.TotalLine(endMicros));
            if (steadyStats is not null)
            {
                output.WriteLine(steadyStats.TotalLine(endMicros));
            }
            if (options.PrintMetrics)
            {
                PrintMetrics(output, config.ClientId ?? "perf-producer-client", stats, handler.Failed, clock.NowMicros);
            }
            if (handler.Failed > 0)
            {
                error.WriteLine($"samsa: {handler.Failed} of {options.NumRecords} records failed");
                return 1;
            }
            return 0;
        }
    }

    /// <summary>Random uppercase letters, as Kafka's tool sends.</summary>
    internal static byte[] RandomPayload(int size, Random random)
    {
        var payload = new byte[size];
        for (int i = 0; i < payload.Length; i++)
        {
            payload[i] = (byte)('A' + random.Next(26));
        }
        return payload;
    }

    /// <summary>The payloads of a UTF-8 file split at <paramref name="delimiter"/>; empty pieces are skipped.</summary>
    internal static byte[][] ReadPayloadFile(string path, string delimiter, TextWriter output)
    {
        string full = Path.GetFullPath(path);
        output.WriteLine($"Reading payloads from: {full}");
        string text;
        try
        {
            text = File.ReadAllText(full, Encoding.UTF8);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new UsageException($"cannot read --payload-file {path}: {e.Message}");
        }
        var payloads = text.Split(delimiter, StringSplitOptions.RemoveEmptyEntries).Select(Encoding.UTF8.GetBytes).ToArray();
        if (payloads.Length == 0)
        {
            throw new UsageException($"--payload-file {path} is empty");
        }
        output.WriteLine($"Number of messages read: {payloads.Length}");
        return payloads;
    }

    /// <summary>Kafka's metrics table (`name : value` with three decimals), from what the tool itself measured.</summary>
    private static void PrintMetrics(TextWriter output, string clientId, ProducerPerfStats stats, long failed, long nowMicros)
    {
        double seconds = Math.Max(nowMicros / 1_000_000.0, 1e-9);
        string tags = $"{{client-id={clientId}}}";
        var metrics = new (string Name, double Value)[]
        {
            ($"producer-metrics:byte-rate:{tags}", stats.Bytes / seconds),
            ($"producer-metrics:record-error-total:{tags}", failed),
            ($"producer-metrics:record-send-rate:{tags}", stats.Count / seconds),
            ($"producer-metrics:record-send-total:{tags}", stats.Count),
        };
        int width = metrics.Max(m => m.Name.Length);
        output.WriteLine();
        output.WriteLine(string.Format(CultureInfo.InvariantCulture, "{0}   {1}", "Metric Name".PadRight(width), "Value"));
        foreach (var (name, value) in metrics)
        {
            output.WriteLine(string.Format(CultureInfo.InvariantCulture, "{0} : {1:F3}", name.PadRight(width), value));
        }
    }

    /// <summary>
    /// Keeps each record's send time in a ring slot chosen by its token and records its latency on delivery.
    /// Thread-safe: the sending thread fills slots, client threads empty them.
    /// </summary>
    internal sealed class PerfDeliveryHandler : IDeliveryHandler
    {
        private const long Free = -1;
        private const int MaxErrorLines = 20;

        private readonly PerfClock _clock;
        private readonly ProducerPerfStats _stats;
        private readonly long[] _sendMicros;
        private readonly int[] _sizes;
        private readonly TextWriter _error;
        private long _failed;
        private ProducerPerfStats? _steadyStats;
        private long _steadyFrom = long.MaxValue;

        public PerfDeliveryHandler(PerfClock clock, ProducerPerfStats stats, int slots, TextWriter error)
        {
            _clock = clock;
            _stats = stats;
            _sendMicros = new long[slots];
            _sizes = new int[slots];
            Array.Fill(_sendMicros, Free);
            _error = error;
        }

        public long Failed => Interlocked.Read(ref _failed);

        /// <summary>Records from token <paramref name="firstToken"/> on are also counted in <paramref name="steadyStats"/>.</summary>
        public void StartSteadyState(long firstToken, ProducerPerfStats steadyStats)
        {
            _steadyStats = steadyStats;
            Volatile.Write(ref _steadyFrom, firstToken);
        }

        /// <summary>Claims record <paramref name="token"/>'s slot, waiting while an older record still holds it.</summary>
        public void Sending(long token, long sendMicros, int size)
        {
            int slot = (int)(token % _sendMicros.Length);
            if (Volatile.Read(ref _sendMicros[slot]) != Free)
            {
                var spin = default(SpinWait);
                while (Volatile.Read(ref _sendMicros[slot]) != Free)
                {
                    spin.SpinOnce();
                }
            }
            _sizes[slot] = size;
            Volatile.Write(ref _sendMicros[slot], sendMicros);
        }

        public void OnDelivery(long token, in DeliveryInfo info)
        {
            long now = _clock.NowMicros;
            int slot = (int)(token % _sendMicros.Length);
            long sent = Volatile.Read(ref _sendMicros[slot]);
            int size = _sizes[slot];
            Volatile.Write(ref _sendMicros[slot], Free);
            if (info.IsSuccess)
            {
                _stats.Record(now - sent, size, now);
                if (token >= Volatile.Read(ref _steadyFrom))
                {
                    _steadyStats!.Record(now - sent, size, now);
                }
                return;
            }
            long failed = Interlocked.Increment(ref _failed);
            if (failed <= MaxErrorLines)
            {
                _error.WriteLine($"samsa: record {token} to {info.Topic} failed: {info.Error} {info.Reason}");
            }
            else if (failed == MaxErrorLines + 1)
            {
                _error.WriteLine("samsa: further failures are counted, not printed");
            }
        }
    }
}
