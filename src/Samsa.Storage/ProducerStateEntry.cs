namespace Samsa.Storage;

/// <summary>One batch an idempotent producer wrote: its sequence range, its offsets and its largest timestamp.</summary>
public readonly record struct ProducerBatch(int FirstSequence, int LastSequence, long FirstOffset, long LastOffset, long Timestamp);

/// <summary>
/// What a partition knows of one producer (Kafka's ProducerStateEntry): its epoch, the last
/// <see cref="BatchesToRetain"/> batches it wrote (to answer a retried batch with its original offsets and to check
/// the next sequence), the coordinator epoch of its last transaction marker and the first offset of its open
/// transaction here. Not thread-safe: owned by a <see cref="ProducerStateManager"/>, under its log's lock.
/// </summary>
public sealed class ProducerStateEntry
{
    /// <summary>Batches kept per producer, as Kafka (a producer has at most 5 requests in flight per partition).</summary>
    public const int BatchesToRetain = 5;

    private readonly ProducerBatch[] _batches = new ProducerBatch[BatchesToRetain];
    private int _first;
    private int _count;

    public ProducerStateEntry(long producerId, short producerEpoch)
    {
        ProducerId = producerId;
        ProducerEpoch = producerEpoch;
    }

    public long ProducerId { get; }

    public short ProducerEpoch { get; private set; }

    /// <summary>The coordinator epoch of the last transaction marker for this producer; -1 before any.</summary>
    public int CoordinatorEpoch { get; set; } = -1;

    /// <summary>The largest timestamp this producer wrote (expiry measures idleness from it).</summary>
    public long LastTimestamp { get; set; } = -1;

    /// <summary>The first offset of this producer's open transaction in the partition; -1 when none is open.</summary>
    public long CurrentTxnFirstOffset { get; set; } = -1;

    /// <summary>The offset of the last record written by this producer (data or marker); -1 when unknown.</summary>
    public long LastOffset { get; set; } = -1;

    public int BatchCount => _count;

    /// <summary>The retained batches, oldest first.</summary>
    public ProducerBatch Batch(int index) => _batches[(_first + index) % BatchesToRetain];

    /// <summary>The last sequence written; -1 when no batch is retained.</summary>
    public int LastSequence => _count == 0 ? -1 : Batch(_count - 1).LastSequence;

    /// <summary>Moves to <paramref name="epoch"/>; a new epoch starts a new sequence, so the retained batches go.</summary>
    public void UpdateEpoch(short epoch)
    {
        if (epoch != ProducerEpoch)
        {
            ProducerEpoch = epoch;
            _count = 0;
            _first = 0;
        }
    }

    /// <summary>Records a batch written with the current epoch, dropping the oldest past <see cref="BatchesToRetain"/>.</summary>
    public void AddBatch(in ProducerBatch batch)
    {
        if (_count == BatchesToRetain)
        {
            _first = (_first + 1) % BatchesToRetain;
            _count--;
        }

        _batches[(_first + _count) % BatchesToRetain] = batch;
        _count++;
    }

    /// <summary>The retained batch with exactly this epoch and sequence range: a retry of a batch already written.</summary>
    public bool TryFindDuplicate(short epoch, int firstSequence, int lastSequence, out ProducerBatch duplicate)
    {
        if (epoch == ProducerEpoch)
        {
            for (int i = 0; i < _count; i++)
            {
                ProducerBatch batch = Batch(i);
                if (batch.FirstSequence == firstSequence && batch.LastSequence == lastSequence)
                {
                    duplicate = batch;
                    return true;
                }
            }
        }

        duplicate = default;
        return false;
    }

    /// <summary>A copy (the state a multi-batch append checks its later batches against).</summary>
    public ProducerStateEntry Clone()
    {
        var copy = new ProducerStateEntry(ProducerId, ProducerEpoch)
        {
            CoordinatorEpoch = CoordinatorEpoch,
            LastTimestamp = LastTimestamp,
            CurrentTxnFirstOffset = CurrentTxnFirstOffset,
            LastOffset = LastOffset,
        };
        for (int i = 0; i < _count; i++)
        {
            copy.AddBatch(Batch(i));
        }

        return copy;
    }
}
