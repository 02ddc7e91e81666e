using System.Collections.Concurrent;
using Samsa.Broker.Purgatory;
using Samsa.Broker.Tests.Infrastructure;

namespace Samsa.Broker.Tests.Purgatory;

public sealed class SystemTimerTests
{
    private readonly ManualTimeProvider _clock = new(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));

    [Fact]
    public async Task Tasks_run_once_their_delay_has_passed_and_not_before()
    {
        using var timer = new SystemTimer(_clock, startReaper: false, execute: task => task.Run());
        var ran = new ConcurrentDictionary<long, long>();
        long[] delays = [1, 5, 19, 20, 21, 399, 400, 401, 8_000, 60_000];
        long elapsed = 0;
        foreach (long delay in delays)
        {
            timer.Add(new ActionTimerTask(delay, () => ran[delay] = Interlocked.Read(ref elapsed)));
        }
        for (int step = 0; step < 61_000; step += 1)
        {
            _clock.Advance(TimeSpan.FromMilliseconds(1));
            Interlocked.Increment(ref elapsed);
            timer.AdvanceClock();
        }
        await Eventually.True(() => ran.Count == delays.Length, "every task to run");
        foreach (long delay in delays)
        {
            Assert.InRange(ran[delay], delay, delay + 1);
        }
        Assert.Equal(0, timer.Count);
    }

    [Fact]
    public async Task Cancelled_task_never_runs()
    {
        using var timer = new SystemTimer(_clock, startReaper: false);
        int ranKept = 0, ranCancelled = 0;
        var cancelled = new ActionTimerTask(100, () => Interlocked.Increment(ref ranCancelled));
        timer.Add(cancelled);
        timer.Add(new ActionTimerTask(100, () => Interlocked.Increment(ref ranKept)));
        cancelled.Cancel();
        _clock.Advance(TimeSpan.FromMilliseconds(200));
        timer.AdvanceClock();
        await Eventually.True(() => Volatile.Read(ref ranKept) == 1, "the kept task to run");
        Assert.Equal(0, Volatile.Read(ref ranCancelled));
    }

    [Fact]
    public async Task Task_already_due_runs_immediately()
    {
        using var timer = new SystemTimer(_clock, startReaper: false);
        int ran = 0;
        timer.Add(new ActionTimerTask(0, () => Interlocked.Increment(ref ran)));
        await Eventually.True(() => Volatile.Read(ref ran) == 1, "the due task to run");
    }

    [Fact]
    public async Task Reaper_thread_runs_tasks_on_the_real_clock()
    {
        using var timer = new SystemTimer(TimeProvider.System);
        var done = new TaskCompletionSource();
        timer.Add(new ActionTimerTask(30, () => done.TrySetResult()));
        await done.Task.WaitAsync(TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task Many_tasks_from_many_threads_all_run()
    {
        using var timer = new SystemTimer(TimeProvider.System);
        int ran = 0;
        await Task.WhenAll(Enumerable.Range(0, 4).Select(t => Task.Run(() =>
        {
            for (int i = 0; i < 2_000; i++)
            {
                timer.Add(new ActionTimerTask(i % 50, () => Interlocked.Increment(ref ran)));
            }
        })));
        await Eventually.True(() => Volatile.Read(ref ran) == 8_000, "8000 tasks to run");
    }
}
