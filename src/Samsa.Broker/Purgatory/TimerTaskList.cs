namespace Samsa.Broker.Purgatory;

/// <summary>One entry of a bucket: a task and the absolute time it expires.</summary>
internal sealed class TimerTaskEntry
{
    public TimerTaskEntry(TimerTask task, long expirationMs)
    {
        Task = task;
        ExpirationMs = expirationMs;
        task.SetEntry(this);
    }

    public TimerTask Task { get; }

    public long ExpirationMs { get; }

    internal volatile TimerTaskList? List;
    internal TimerTaskEntry? Next;
    internal TimerTaskEntry? Previous;

    public bool IsCancelled => Task.Entry != this;

    /// <summary>Takes the entry out of whichever bucket holds it (the bucket may change under us: retry).</summary>
    public void Remove()
    {
        var current = List;
        while (current is not null)
        {
            current.Remove(this);
            current = List;
        }
    }
}

/// <summary>
/// A bucket of the timing wheel: a circular doubly linked list of entries that expire in the same
/// tick range, and the bucket's expiration (the start of that range). Thread-safe.
/// </summary>
internal sealed class TimerTaskList
{
    private readonly TimerTaskEntry _root = new(new ActionTimerTask(0, static () => { }), -1);
    private readonly Lock _lock = new();
    private long _expirationMs = -1;
    private int _count;

    public TimerTaskList()
    {
        _root.Next = _root;
        _root.Previous = _root;
    }

    public long ExpirationMs => Interlocked.Read(ref _expirationMs);

    public int Count => Volatile.Read(ref _count);

    /// <summary>Sets the bucket's expiration; true when it changed (the bucket must then be queued again).</summary>
    public bool SetExpiration(long expirationMs) => Interlocked.Exchange(ref _expirationMs, expirationMs) != expirationMs;

    public void Add(TimerTaskEntry entry)
    {
        bool done = false;
        while (!done)
        {
            // Remove from any other list first, outside our lock, to avoid lock-order cycles.
            entry.Remove();
            lock (_lock)
            {
                if (entry.List is null)
                {
                    var tail = _root.Previous!;
                    entry.Next = _root;
                    entry.Previous = tail;
                    entry.List = this;
                    tail.Next = entry;
                    _root.Previous = entry;
                    _count++;
                    done = true;
                }
            }
        }
    }

    public void Remove(TimerTaskEntry entry)
    {
        lock (_lock)
        {
            if (entry.List != this)
            {
                return;
            }
            entry.Next!.Previous = entry.Previous;
            entry.Previous!.Next = entry.Next;
            entry.Next = null;
            entry.Previous = null;
            entry.List = null;
            _count--;
        }
    }

    /// <summary>Empties the bucket, handing each entry to <paramref name="reinsert"/>, and resets the expiration.</summary>
    public void Flush(Action<TimerTaskEntry> reinsert)
    {
        var entries = new List<TimerTaskEntry>();
        lock (_lock)
        {
            var head = _root.Next!;
            while (head != _root)
            {
                var next = head.Next!;
                Remove(head);
                entries.Add(head);
                head = next;
            }
            Interlocked.Exchange(ref _expirationMs, -1);
        }
        foreach (var entry in entries)
        {
            reinsert(entry);
        }
    }
}
