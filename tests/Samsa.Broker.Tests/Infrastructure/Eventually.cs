namespace Samsa.Broker.Tests.Infrastructure;

/// <summary>Polls a condition until it holds or a deadline passes (never a fixed sleep).</summary>
internal static class Eventually
{
    public static async Task True(Func<bool> condition, string what, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(10));
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                Assert.Fail($"timed out waiting for {what}");
            }
            await Task.Delay(5);
        }
    }
}
