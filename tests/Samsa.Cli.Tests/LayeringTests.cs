using System.Reflection;

namespace Samsa.Cli.Tests;

/// <summary>Protocol &lt;- Storage &lt;- Broker; Protocol &lt;- Client; Coordination is used by Broker only; nobody depends upward.</summary>
public sealed class LayeringTests
{
    [Theory]
    [InlineData("Samsa.Protocol", new string[0])]
    [InlineData("Samsa.Storage", new[] { "Samsa.Protocol" })]
    [InlineData("Samsa.Coordination", new[] { "Samsa.Protocol" })]
    [InlineData("Samsa.Client", new[] { "Samsa.Protocol" })]
    [InlineData("Samsa.Broker", new[] { "Samsa.Protocol", "Samsa.Storage", "Samsa.Coordination" })]
    public void Project_references_only_lower_layers(string assembly, string[] allowed)
    {
        var references = Assembly.Load(assembly).GetReferencedAssemblies()
            .Select(a => a.Name!)
            .Where(n => n.StartsWith("Samsa", StringComparison.Ordinal))
            .ToList();
        Assert.All(references, r => Assert.Contains(r, allowed));
    }
}
