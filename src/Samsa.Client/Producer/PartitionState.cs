namespace Samsa.Client.Producer;

/// <summary>
/// A partition's queue in the producer: the open batch taking records, the sealed batches waiting to be sent (in
/// order), and, for idempotence, the next sequence and the batches in flight. Thread-safe: every member is used under
/// <see cref="Lock"/>.
/// </summary>
internal sealed class PartitionState(string topic, int partition)
{
    public string Topic { get; } = topic;

    public int Partition { get; } = partition;

    public Lock Lock { get; } = new();

    /// <summary>The batch records are appended to, or null.</summary>
    public ProducerBatch? Open { get; set; }

    /// <summary>Sealed batches not yet sent (or to send again), oldest first: retries go back to the front in sequence order.</summary>
    public LinkedList<ProducerBatch> Ready { get; } = new();

    /// <summary>Batches sent and not yet answered, in send order.</summary>
    public List<ProducerBatch> InFlight { get; } = [];

    /// <summary>The sequence the next new batch gets (idempotence).</summary>
    public int NextSequence { get; set; }

    /// <summary>
    /// True after a batch of this partition failed and is to be retried: until the retries are through, one batch is in
    /// flight at a time, so that the broker sees the sequences in order again.
    /// </summary>
    public bool Recovering { get; set; }

    /// <summary>Whether the partition has been added to the open transaction.</summary>
    public bool InTransaction { get; set; }

    /// <summary>Puts a batch that failed back among the waiting ones, ordered by sequence (or first without one).</summary>
    public void Requeue(ProducerBatch batch)
    {
        var node = Ready.First;
        while (node is not null && node.Value.BaseSequence >= 0 && batch.BaseSequence >= 0 && node.Value.BaseSequence < batch.BaseSequence)
        {
            node = node.Next;
        }
        if (node is null)
        {
            Ready.AddLast(batch);
        }
        else
        {
            Ready.AddBefore(node, batch);
        }
    }
}

/// <summary>A topic's partitions in the producer, and the sticky partition for records without a key. Thread-safe.</summary>
internal sealed class TopicState(string name)
{
    private volatile PartitionState[] _partitions = [];
    private int _sticky = -1;
    private long _stickyBytes;

    public string Name { get; } = name;

    public PartitionState[] Partitions => _partitions;

    /// <summary>Grows the partition list to the metadata's count (partitions are only ever added).</summary>
    public void EnsurePartitions(int count)
    {
        lock (this)
        {
            var current = _partitions;
            if (current.Length >= count)
            {
                return;
            }
            var larger = new PartitionState[count];
            current.CopyTo(larger, 0);
            for (int i = current.Length; i < count; i++)
            {
                larger[i] = new PartitionState(Name, i);
            }
            _partitions = larger;
        }
    }

    /// <summary>
    /// The partition for a record without a key: the same one until about batch.size bytes went to it, then another
    /// at random (KIP-794's uniform sticky partitioning), so batches fill up instead of spreading thin.
    /// </summary>
    public int StickyPartition(int recordBytes, int batchSize, Network.ClusterMetadata metadata)
    {
        int count = _partitions.Length;
        int sticky = Volatile.Read(ref _sticky);
        if (sticky >= 0 && sticky < count && Interlocked.Add(ref _stickyBytes, recordBytes) < batchSize)
        {
            return sticky;
        }
        lock (this)
        {
            if (_sticky == sticky || _sticky < 0 || _sticky >= count)
            {
                int start = Random.Shared.Next(count);
                int next = start;
                for (int i = 0; i < count; i++)
                {
                    int candidate = (start + i) % count;
                    if ((candidate != sticky || count == 1) && metadata.LeaderFor(Name, candidate) >= 0)
                    {
                        next = candidate;
                        break;
                    }
                }
                _stickyBytes = recordBytes;
                Volatile.Write(ref _sticky, next);
            }
            return _sticky;
        }
    }
}
