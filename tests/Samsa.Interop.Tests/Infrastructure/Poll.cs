using System.Diagnostics;

namespace Samsa.Interop.Tests.Infrastructure;

/// <summary>Waits for a condition by polling it until a deadline; tests never sleep a fixed time.</summary>
public static class Poll
{
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(50);

    /// <summary>
    /// Polls <paramref name="condition"/> until it holds. At the deadline it
    /// throws a <see cref="TimeoutException"/> naming <paramref name="what"/>
    /// with <paramref name="state"/>'s account of what was seen instead.
    /// Exceptions from the condition propagate at once.
    /// </summary>
    public static async Task UntilAsync(Func<Task<bool>> condition, TimeSpan timeout, string what, Func<string> state)
    {
        var stopwatch = Stopwatch.StartNew();
        while (!await condition().ConfigureAwait(false))
        {
            if (stopwatch.Elapsed > timeout)
            {
                throw new TimeoutException($"{what}: not reached within {timeout.TotalSeconds:F0} s\n{state()}");
            }
            await Task.Delay(Interval).ConfigureAwait(false);
        }
    }

    public static Task UntilAsync(Func<bool> condition, TimeSpan timeout, string what, Func<string> state) =>
        UntilAsync(() => Task.FromResult(condition()), timeout, what, state);
}
