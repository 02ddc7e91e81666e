namespace Samsa.Interop.Tests.Model;

/// <summary>A record a producer sends to an explicit partition with a CreateTime timestamp.</summary>
public sealed record TestRecord(int Partition, string? Key, string? Value, IReadOnlyList<Header> Headers, long Timestamp);
