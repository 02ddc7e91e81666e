namespace Samsa.Interop.Tests.Infrastructure;

/// <summary>A topic the mock cluster creates at start-up (rdkmock's <c>-t NAME:PARTITIONS:REPLICAS</c>).</summary>
public sealed record MockTopic(string Name, int Partitions, int Replicas = 1);
