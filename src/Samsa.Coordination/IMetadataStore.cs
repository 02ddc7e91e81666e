namespace Samsa.Coordination;

/// <summary>
/// Durable cluster metadata. A single broker keeps it in its data directory
/// (<see cref="EmbeddedMetadataStore"/>); a cluster will keep it in ZooKeeper.
/// Implementations are thread-safe.
/// </summary>
public interface IMetadataStore
{
    string ClusterId { get; }

    IReadOnlyCollection<TopicRecord> Topics { get; }

    bool TryGetTopic(string name, out TopicRecord topic);

    /// <summary>Adds a topic durably; false when one with the same name exists.</summary>
    bool TryCreateTopic(TopicRecord topic);

    /// <summary>
    /// Replaces a topic's record durably (new partitions, altered configs); false when there is no topic with that
    /// name and topic id.
    /// </summary>
    bool TryUpdateTopic(TopicRecord topic);

    /// <summary>Removes a topic durably; false when there was none.</summary>
    bool DeleteTopic(string name);
}
