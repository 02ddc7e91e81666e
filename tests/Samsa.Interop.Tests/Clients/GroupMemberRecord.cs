namespace Samsa.Interop.Tests.Clients;

/// <summary>One record a group member printed as consumed.</summary>
public sealed record GroupMemberRecord(int Partition, long Offset, string? Key, string? Value)
{
    public override string ToString() => $"p{Partition}@{Offset} key={Key} value={Value}";
}
