using Samsa.Interop.Tests.Infrastructure;

namespace Samsa.Interop.Tests;

/// <summary>Adds the broker's recent output to any failure inside an interop test.</summary>
public static class InteropFailure
{
    public static async Task WithBrokerOutputAsync(BrokerProcess broker, Func<Task> body)
    {
        try
        {
            await body();
        }
        catch (Exception e)
        {
            throw new InteropTestException($"{e.GetType().Name}: {e.Message}\n\n{broker.Describe()}", e);
        }
    }

    public static string NewTopic(string prefix) =>
        $"{prefix}-{Guid.NewGuid().ToString("N")[..8]}";
}
