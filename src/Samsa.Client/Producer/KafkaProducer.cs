using System.Buffers;
using System.Collections.Concurrent;
using Samsa.Client.Config;
using Samsa.Client.Network;
using Samsa.Protocol;
using Samsa.Protocol.Records;

namespace Samsa.Client.Producer;

/// <summary>
/// The producer engine over raw bytes. <see cref="Produce(in ProduceRecord, IDeliveryHandler?, long)"/> copies the
/// record into its partition's open batch and returns; a background sender seals batches that are full or have
/// lingered linger.ms, sends one produce request per broker with one batch per partition, up to
/// max.in.flight.requests.per.connection at a time, and reports each record's outcome to its handler. Nothing is
/// allocated per record (the batch buffers, delivery slots and requests are per batch). With idempotence (the
/// default) each batch carries the producer id, epoch and sequence, so a retried batch the broker already has is
/// answered as a duplicate, not written twice; retries of a partition are sent in sequence order. Thread-safe.
/// </summary>
public sealed partial class KafkaProducer : IDisposable, IAsyncDisposable
{
    /// <summary>Lets the partitioner choose: murmur2 of the key, or the sticky partition for records without one.</summary>
    public const int AnyPartition = -1;

    // Room for a record's varints (length, attributes, timestamp and offset deltas, key and value lengths, header count).
    private const int RecordOverhead = 36;

    private readonly KafkaCluster _cluster;
    private readonly ProducerSettings _settings;
    private readonly ConcurrentDictionary<string, TopicState> _topics = new(StringComparer.Ordinal);
    private readonly object _memoryLock = new();
    private readonly Lock _idleLock = new();
    private readonly SemaphoreSlim _wakeup = new(0);
    private readonly Task _sender;

    // Batch buffers are reused through a pool of the producer's own: the shared pool keeps only a few arrays of a
    // size per core, fewer than the batches a busy producer has queued and in flight.
    private readonly ArrayPool<byte> _batchBuffers;
    private long _bufferedBytes;
    private long _outstandingRecords;
    private TaskCompletionSource? _idle;
    private int _flushing;
    private int _wakeupPending;
    private volatile bool _closing;
    private volatile bool _stopped;

    private KafkaProducer(KafkaCluster cluster, ProducerSettings settings, string name)
    {
        _cluster = cluster;
        _settings = settings;
        Name = name;
        _batchBuffers = ArrayPool<byte>.Create(Math.Max(settings.BatchSize, settings.MaxRequestSize) + 4096,
            (int)Math.Clamp(settings.BufferMemory / settings.BatchSize, 16, 256));
        _sender = Task.Run(RunSenderAsync);
    }

    /// <summary>client.id.</summary>
    public string Name { get; }

    /// <summary>Records queued or in flight.</summary>
    public long QueuedRecords => Volatile.Read(ref _outstandingRecords);

    /// <summary>Starts a producer; throws <see cref="ArgumentException"/> naming a bad or unknown property.</summary>
    public static KafkaProducer Create(ProducerConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        var resolved = config.Resolve(ConfigScope.Producer);
        var settings = ProducerSettings.From(config, resolved);
        return new KafkaProducer(new KafkaCluster(resolved), settings, resolved.String("client.id")!);
    }

    /// <summary>Queues a record with a null key; blocks up to max.block.ms when buffer.memory is full.</summary>
    public void Produce(string topic, int partition, ReadOnlySpan<byte> value, IDeliveryHandler? handler = null, long token = 0) =>
        Produce(new ProduceRecord(topic, value) { Partition = partition }, handler, token);

    /// <summary>
    /// Queues a record; blocks up to max.block.ms for the topic's metadata on its first use and when buffer.memory is
    /// full. Throws <see cref="KafkaException"/> when the record cannot be queued (then its handler is not called).
    /// </summary>
    public void Produce(in ProduceRecord record, IDeliveryHandler? handler = null, long token = 0)
    {
        ThrowIfUnusable();
        if (_settings.TransactionalId is not null && _transactionState != TransactionState.InTransaction)
        {
            throw new KafkaException(ErrorCode.LocalState, "a transactional producer sends records only inside a transaction: call BeginTransaction first");
        }
        var topic = GetTopic(record.Topic);
        var partitions = topic.Partitions;
        int recordBytes = record.Key.Length + record.Value.Length + RecordOverhead + HeaderBytes(record.Headers);
        if (recordBytes > _settings.MaxRequestSize)
        {
            throw new KafkaException(ErrorCode.MessageTooLarge, $"a record of {recordBytes} bytes is larger than max.request.size ({_settings.MaxRequestSize})");
        }
        int partition = record.Partition;
        if (partition == AnyPartition)
        {
            partition = record.KeyIsNull
                ? topic.StickyPartition(recordBytes, _settings.BatchSize, _cluster.Metadata)
                : Partitioner.PartitionFor(record.Key, partitions.Length);
        }
        else if ((uint)partition >= (uint)partitions.Length)
        {
            throw new KafkaException(ErrorCode.UnknownTopicOrPartition, $"topic '{record.Topic}' has no partition {partition} (it has {partitions.Length})");
        }
        ReserveMemory(recordBytes);
        long now = Environment.TickCount64;
        long timestamp = record.TimestampMs >= 0 ? record.TimestampMs : DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var state = partitions[partition];
        bool wake = false;
        lock (state.Lock)
        {
            var batch = state.Open;
            if (batch is not null && !batch.HasRoomFor(recordBytes, _settings.BatchSize))
            {
                state.Ready.AddLast(batch);
                state.Open = batch = null;
            }
            if (batch is null)
            {
                batch = new ProducerBatch(state, Math.Max(recordBytes + RecordBatchHeader.HeaderSize, _settings.BatchSize), now, _batchBuffers);
                state.Open = batch;
                wake = true;
            }
            batch.Append(timestamp, record, handler, token);
            batch.ReservedBytes += recordBytes;
            Interlocked.Increment(ref _outstandingRecords);
        }
        if (wake)
        {
            Wakeup();
        }
    }

    private static int HeaderBytes(ReadOnlySpan<RecordHeader> headers)
    {
        int bytes = 0;
        foreach (var header in headers)
        {
            bytes += (header.Key.Length * 3) + (header.Value?.Length ?? 0) + 10;
        }
        return bytes;
    }

    private TopicState GetTopic(string name)
    {
        if (_topics.TryGetValue(name, out var topic) && topic.Partitions.Length > 0)
        {
            return topic;
        }
        if (string.IsNullOrEmpty(name))
        {
            throw new ArgumentException("a record needs a topic");
        }
        topic = _topics.GetOrAdd(name, static n => new TopicState(n));
        using var timeout = new CancellationTokenSource(_settings.MaxBlockMs);
        try
        {
            var metadata = _cluster.WaitForTopicAsync(name, timeout.Token).AsTask().GetAwaiter().GetResult();
            topic.EnsurePartitions(metadata.Partitions.Length);
        }
        catch (OperationCanceledException)
        {
            throw new KafkaException(ErrorCode.LocalMessageTimedOut, $"topic '{name}' is not in the metadata after max.block.ms ({_settings.MaxBlockMs} ms)");
        }
        return topic;
    }

    private void ReserveMemory(long bytes)
    {
        if (Interlocked.Add(ref _bufferedBytes, bytes) <= _settings.BufferMemory)
        {
            return;
        }
        Interlocked.Add(ref _bufferedBytes, -bytes);
        long deadline = Environment.TickCount64 + _settings.MaxBlockMs;
        lock (_memoryLock)
        {
            while (true)
            {
                if (Interlocked.Add(ref _bufferedBytes, bytes) <= _settings.BufferMemory || Volatile.Read(ref _bufferedBytes) == bytes)
                {
                    return;
                }
                Interlocked.Add(ref _bufferedBytes, -bytes);
                long left = deadline - Environment.TickCount64;
                if (left <= 0)
                {
                    throw new KafkaException(ErrorCode.LocalQueueFull, $"buffer.memory ({_settings.BufferMemory} bytes) stayed full for max.block.ms ({_settings.MaxBlockMs} ms)");
                }
                Wakeup();
                Monitor.Wait(_memoryLock, (int)Math.Min(left, 100));
            }
        }
    }

    private void ReleaseMemory(long bytes)
    {
        if (Interlocked.Add(ref _bufferedBytes, -bytes) + bytes > _settings.BufferMemory / 2)
        {
            lock (_memoryLock)
            {
                Monitor.PulseAll(_memoryLock);
            }
        }
    }

    /// <summary>Wakes the sender; cheap when it is already awake.</summary>
    private void Wakeup()
    {
        if (Interlocked.Exchange(ref _wakeupPending, 1) == 0)
        {
            _wakeup.Release();
        }
    }

    /// <summary>Sends everything queued now (ignoring linger.ms) and waits until all of it is delivered or failed.</summary>
    public async Task FlushAsync(CancellationToken cancellationToken = default)
    {
        Interlocked.Increment(ref _flushing);
        try
        {
            Wakeup();
            await WaitIdleAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            Interlocked.Decrement(ref _flushing);
        }
    }

    private async Task WaitIdleAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            Task idle;
            lock (_idleLock)
            {
                if (Volatile.Read(ref _outstandingRecords) == 0)
                {
                    return;
                }
                _idle ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                idle = _idle.Task;
            }
            await idle.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Counts records as done and wakes flushes once none are left.</summary>
    private void RecordsDone(int count)
    {
        if (Interlocked.Add(ref _outstandingRecords, -count) == 0)
        {
            lock (_idleLock)
            {
                if (Volatile.Read(ref _outstandingRecords) == 0)
                {
                    _idle?.TrySetResult();
                    _idle = null;
                }
            }
        }
    }

    private void ThrowIfUnusable()
    {
        if (_fatal is { } fatal)
        {
            throw new KafkaException(fatal.Error, fatal.Message) { IsFatal = true };
        }
        ObjectDisposedException.ThrowIf(_closing, this);
    }

    /// <summary>Delivers what is queued (within delivery.timeout.ms), then closes the connections.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_closing)
        {
            return;
        }
        _closing = true;
        Wakeup();
        try
        {
            await WaitIdleAsync(CancellationToken.None).WaitAsync(TimeSpan.FromMilliseconds(_settings.DeliveryTimeoutMs + _settings.RequestTimeoutMs)).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
        }
        _stopped = true;
        Wakeup();
        await _sender.ConfigureAwait(false);
        FailAllQueued(ErrorCode.LocalPurged, "the producer was closed");
        await _cluster.DisposeAsync().ConfigureAwait(false);
    }

    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();
}
