using Samsa.Interop.Tests.Clients;

namespace Samsa.Interop.Tests;

/// <summary>Every real client the interop tests use is installed; a missing one fails here with how to install it.</summary>
public sealed class ClientInstallationTests
{
    public static TheoryData<string> Clients => new(InteropClients.All.Select(c => c.Name));

    [Theory]
    [MemberData(nameof(Clients))]
    public Task Client_is_installed(string client) => InteropClients.ByName(client).EnsureInstalledAsync();
}
