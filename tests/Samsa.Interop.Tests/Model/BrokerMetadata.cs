namespace Samsa.Interop.Tests.Model;

/// <summary>One broker listed in a metadata answer.</summary>
public sealed record BrokerMetadata(int Id, string Host, int Port);
