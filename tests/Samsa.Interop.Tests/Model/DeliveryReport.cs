namespace Samsa.Interop.Tests.Model;

/// <summary>Where the broker acknowledged one produced record.</summary>
public sealed record DeliveryReport(int Partition, long Offset);
