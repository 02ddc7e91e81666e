using System.Collections.Concurrent;
using Samsa.Client.Consumer;
using Samsa.Protocol;

namespace Samsa.Client.Tests.Consumer;

/// <summary>
/// A group member driven by its own thread calling Consume, as an application would; records what it consumed and
/// every rebalance callback (which run on that thread) for the test to poll.
/// </summary>
internal sealed class GroupMember : IDisposable
{
    private static long _sequence;

    private readonly Thread _thread;
    private volatile bool _stop;
    private readonly ManualResetEventSlim _running = new(true);
    private readonly ManualResetEventSlim _stopping = new(false);

    public GroupMember(string name, ConsumerTestCluster cluster, Config.ConsumerConfig config, IEnumerable<string> topics)
    {
        Name = name;
        Consumer = cluster.Consumer(config, b => b
            .SetPartitionsAssignedHandler((c, partitions) => Record("assigned", partitions))
            .SetPartitionsRevokedHandler((c, partitions) => Record("revoked", partitions.Select(p => p.TopicPartition)))
            .SetPartitionsLostHandler((c, partitions) => Record("lost", partitions.Select(p => p.TopicPartition))));
        Consumer.Subscribe(topics);
        _thread = new Thread(Run) { IsBackground = true, Name = name };
        _thread.Start();
    }

    public string Name { get; }

    public IConsumer<string?, string?> Consumer { get; }

    public ConcurrentQueue<ConsumeResult<string?, string?>> Consumed { get; } = new();

    /// <summary>
    /// Callbacks in order: ("assigned" | "revoked" | "lost", partitions, sequence); the sequence orders callbacks across
    /// all members of a test.
    /// </summary>
    public ConcurrentQueue<(string Kind, TopicPartition[] Partitions, long Sequence)> Events { get; } = new();

    public ConcurrentQueue<Exception> Errors { get; } = new();

    /// <summary>Callbacks that ran on a thread other than the one calling Consume (Close excepted: it runs on the caller's).</summary>
    public int OffThreadCallbacks { get; private set; }

    /// <summary>The partitions as the callbacks left them.</summary>
    public HashSet<TopicPartition> Owned
    {
        get
        {
            var owned = new HashSet<TopicPartition>();
            foreach (var (kind, partitions, _) in Events)
            {
                if (kind == "assigned")
                {
                    owned.UnionWith(partitions);
                }
                else
                {
                    owned.ExceptWith(partitions);
                }
            }
            return owned;
        }
    }

    private void Record(string kind, IEnumerable<TopicPartition> partitions)
    {
        if (Thread.CurrentThread.Name != Name)
        {
            OffThreadCallbacks++;
        }
        Events.Enqueue((kind, [.. partitions.OrderBy(p => p.Topic).ThenBy(p => p.Partition)], Interlocked.Increment(ref _sequence)));
    }

    /// <summary>Stops calling Consume without leaving (a stuck application).</summary>
    public void Stall() => _running.Reset();

    public void Unstall() => _running.Set();

    private void Run()
    {
        while (!_stop)
        {
            _running.Wait();
            try
            {
                if (Consumer.Consume(TimeSpan.FromMilliseconds(50)) is { IsPartitionEOF: false } result)
                {
                    Consumed.Enqueue(result);
                }
            }
            catch (ObjectDisposedException)
            {
                return;
            }
            catch (Exception e)
            {
                Errors.Enqueue(e);
                // A fatal error repeats on every call; do not spin on it.
                _stopping.Wait(20);
            }
        }
    }

    /// <summary>Stops the thread; then Close (commit and leave) or not (a crash: Dispose only).</summary>
    public void Stop(bool close)
    {
        _stop = true;
        _stopping.Set();
        _running.Set();
        _thread.Join();
        if (close)
        {
            Thread.CurrentThread.Name ??= Name;
            Consumer.Close();
        }
        Consumer.Dispose();
    }

    /// <summary>
    /// Checks that no partition was ever owned by two members at once, as the callbacks tell it: a partition's new
    /// owner is assigned it only after its old owner revoked (or lost) it.
    /// </summary>
    public static void AssertNoSharedOwnership(params GroupMember[] members)
    {
        var owner = new Dictionary<TopicPartition, string>();
        foreach (var (member, (kind, partitions, _)) in members.SelectMany(m => m.Events.Select(e => (m, e))).OrderBy(x => x.e.Sequence))
        {
            foreach (var partition in partitions)
            {
                if (kind == "assigned")
                {
                    Assert.False(owner.TryGetValue(partition, out string? holder), $"{member.Name} was assigned {partition} while {holder} owned it");
                    owner[partition] = member.Name;
                }
                else
                {
                    Assert.Equal(member.Name, owner.GetValueOrDefault(partition));
                    owner.Remove(partition);
                }
            }
        }
    }

    public void Dispose()
    {
        if (!_stop)
        {
            Stop(close: false);
        }
        _running.Dispose();
        _stopping.Dispose();
    }
}
