namespace Samsa.Broker.Config;

/// <summary>What happens to old segments: <c>cleanup.policy</c> / <c>log.cleanup.policy</c>, a list of delete and compact.</summary>
[Flags]
public enum CleanupPolicy
{
    None = 0,

    /// <summary><c>delete</c>: whole old segments go by retention time and size.</summary>
    Delete = 1,

    /// <summary><c>compact</c>: the cleaner keeps the last record per key.</summary>
    Compact = 2,
}
