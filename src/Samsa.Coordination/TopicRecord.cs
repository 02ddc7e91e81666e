using Samsa.Protocol;

namespace Samsa.Coordination;

/// <summary>A topic as the controller knows it: id, partition count, replica assignment and config overrides.</summary>
public sealed record TopicRecord
{
    public required string Name { get; init; }

    public required Uuid TopicId { get; init; }

    /// <summary>Replica broker ids per partition; the first is the preferred leader.</summary>
    public required IReadOnlyList<IReadOnlyList<int>> Assignment { get; init; }

    /// <summary>Topic-level config overrides as given at creation or last altered (for example retention.ms).</summary>
    public IReadOnlyDictionary<string, string> Configs { get; init; } = new Dictionary<string, string>();

    public int PartitionCount => Assignment.Count;
}
