using System.Reflection;

namespace Samsa.Interop.Tests.Clients;

/// <summary>
/// Finds the client driver scripts. They run from the source tree because
/// <c>npm ci</c> installs KafkaJS next to its script. Order: the
/// SAMSA_INTEROP_CLIENTS_DIR variable, the project directory recorded at
/// build time, then a search upwards from the test assembly.
/// </summary>
public static class ClientPaths
{
    private const string RelativeFromRepositoryRoot = "tests/Samsa.Interop.Tests/clients";

    private static readonly Lazy<string> Directory_ = new(Locate);

    public static string ClientsDirectory => Directory_.Value;

    public static string PythonDirectory => Path.Combine(ClientsDirectory, "python");

    public static string NodeDirectory => Path.Combine(ClientsDirectory, "node");

    private static string Locate()
    {
        var candidates = new List<string>();
        if (Environment.GetEnvironmentVariable("SAMSA_INTEROP_CLIENTS_DIR") is { Length: > 0 } fromEnvironment)
        {
            candidates.Add(fromEnvironment);
        }
        var recorded = typeof(ClientPaths).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .FirstOrDefault(a => a.Key == "InteropClientsDirectory")?.Value;
        if (!string.IsNullOrEmpty(recorded))
        {
            candidates.Add(recorded);
        }
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            candidates.Add(Path.Combine(dir.FullName, RelativeFromRepositoryRoot));
        }

        foreach (var candidate in candidates)
        {
            if (File.Exists(Path.Combine(candidate, "python", "interop_common.py")))
            {
                return Path.GetFullPath(candidate);
            }
        }
        throw new DirectoryNotFoundException(
            "cannot find the interop client scripts (tests/Samsa.Interop.Tests/clients); looked in:\n  " + string.Join("\n  ", candidates) +
            "\nset SAMSA_INTEROP_CLIENTS_DIR to that folder");
    }
}
