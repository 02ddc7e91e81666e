using Samsa.Interop.Tests.Infrastructure;

namespace Samsa.Interop.Tests.Transactions;

/// <summary>Runs Samsa's own command-line tool (samsa.dll next to the tests) and returns what it printed.</summary>
public static class SamsaCli
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    /// <summary>Standard output of one command; a non-zero exit throws with both streams.</summary>
    public static async Task<string> RunAsync(params string[] arguments)
    {
        var host = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } path && File.Exists(path) ? path : "dotnet";
        var result = await ClientProcess.RunAsync(host, [Path.Combine(AppContext.BaseDirectory, "samsa.dll"), .. arguments], Timeout);
        if (result.ExitCode != 0)
        {
            throw new ClientProcessException($"samsa {string.Join(' ', arguments)} failed\n{result.Describe()}");
        }
        return result.Stdout;
    }
}
