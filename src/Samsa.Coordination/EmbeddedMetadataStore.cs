using System.Text.Json;
using System.Text.Json.Serialization;
using Samsa.Protocol;

namespace Samsa.Coordination;

/// <summary>
/// Metadata of a single broker with no ZooKeeper, kept in one JSON file.
/// <para>On disk: <c>&lt;dir&gt;/cluster-metadata.json</c> = { "version": 1, "clusterId": "...",
/// "topics": [ { "name", "topicId" (base64 UUID), "assignment": [[brokerId, ...], ...], "configs": {..} } ] }.
/// Every change writes a temporary file, fsyncs it and renames it over the old one, so a crash leaves
/// either the old or the new file whole.</para>
/// Thread-safe: changes are serialized by a lock; reads see an immutable snapshot.
/// </summary>
public sealed class EmbeddedMetadataStore : IMetadataStore
{
    public const string FileName = "cluster-metadata.json";

    private readonly string _path;
    private readonly Lock _lock = new();
    private Dictionary<string, TopicRecord> _topics;

    private EmbeddedMetadataStore(string path, string clusterId, Dictionary<string, TopicRecord> topics)
    {
        _path = path;
        ClusterId = clusterId;
        _topics = topics;
    }

    public string ClusterId { get; }

    public IReadOnlyCollection<TopicRecord> Topics => Volatile.Read(ref _topics).Values;

    /// <summary>Opens the store in <paramref name="directory"/>, creating it (with a new cluster id) if absent.</summary>
    public static EmbeddedMetadataStore Open(string directory)
    {
        Directory.CreateDirectory(directory);
        string path = Path.Combine(directory, FileName);
        if (!File.Exists(path))
        {
            var store = new EmbeddedMetadataStore(path, Uuid.NewRandom().ToString(), new Dictionary<string, TopicRecord>());
            store.Persist(store._topics);
            return store;
        }
        FileModel model;
        try
        {
            model = JsonSerializer.Deserialize(File.ReadAllText(path), MetadataJsonContext.Default.FileModel)
                ?? throw new InvalidDataException("empty file");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path} is not valid cluster metadata: {e.Message}", e);
        }
        var topics = new Dictionary<string, TopicRecord>(StringComparer.Ordinal);
        foreach (var t in model.Topics)
        {
            topics[t.Name] = new TopicRecord
            {
                Name = t.Name,
                TopicId = Uuid.Parse(t.TopicId),
                Assignment = t.Assignment,
                Configs = t.Configs,
            };
        }
        return new EmbeddedMetadataStore(path, model.ClusterId, topics);
    }

    public bool TryGetTopic(string name, out TopicRecord topic) => Volatile.Read(ref _topics).TryGetValue(name, out topic!);

    public bool TryCreateTopic(TopicRecord topic)
    {
        lock (_lock)
        {
            if (_topics.ContainsKey(topic.Name))
            {
                return false;
            }
            var next = new Dictionary<string, TopicRecord>(_topics, StringComparer.Ordinal) { [topic.Name] = topic };
            Persist(next);
            Volatile.Write(ref _topics, next);
            return true;
        }
    }

    public bool TryUpdateTopic(TopicRecord topic)
    {
        lock (_lock)
        {
            if (!_topics.TryGetValue(topic.Name, out var current) || current.TopicId != topic.TopicId)
            {
                return false;
            }
            var next = new Dictionary<string, TopicRecord>(_topics, StringComparer.Ordinal) { [topic.Name] = topic };
            Persist(next);
            Volatile.Write(ref _topics, next);
            return true;
        }
    }

    public bool DeleteTopic(string name)
    {
        lock (_lock)
        {
            if (!_topics.ContainsKey(name))
            {
                return false;
            }
            var next = new Dictionary<string, TopicRecord>(_topics, StringComparer.Ordinal);
            next.Remove(name);
            Persist(next);
            Volatile.Write(ref _topics, next);
            return true;
        }
    }

    private void Persist(Dictionary<string, TopicRecord> topics)
    {
        var model = new FileModel
        {
            Version = 1,
            ClusterId = ClusterId,
            Topics = topics.Values.OrderBy(t => t.Name, StringComparer.Ordinal).Select(t => new TopicModel
            {
                Name = t.Name,
                TopicId = t.TopicId.ToString(),
                Assignment = t.Assignment.Select(r => r.ToList()).ToList(),
                Configs = new Dictionary<string, string>(t.Configs),
            }).ToList(),
        };
        string temp = _path + ".tmp";
        using (var stream = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            JsonSerializer.Serialize(stream, model, MetadataJsonContext.Default.FileModel);
            stream.Flush(flushToDisk: true);
        }
        File.Move(temp, _path, overwrite: true);
    }

    internal sealed class FileModel
    {
        public int Version { get; set; }

        public string ClusterId { get; set; } = "";

        public List<TopicModel> Topics { get; set; } = new();
    }

    internal sealed class TopicModel
    {
        public string Name { get; set; } = "";

        public string TopicId { get; set; } = "";

        public List<List<int>> Assignment { get; set; } = new();

        public Dictionary<string, string> Configs { get; set; } = new();
    }
}

[JsonSourceGenerationOptions(WriteIndented = true, PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(EmbeddedMetadataStore.FileModel))]
internal sealed partial class MetadataJsonContext : JsonSerializerContext;
