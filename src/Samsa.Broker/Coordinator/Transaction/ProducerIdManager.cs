using System.Globalization;
using System.Text;
using System.Text.Json;
using Samsa.Storage;

namespace Samsa.Broker.Coordinator.Transaction;

/// <summary>
/// Hands out producer ids that are never handed out twice, across restarts too. Ids come in blocks of
/// <see cref="BlockSize"/>; the block is reserved on disk before its first id is used, so a crash loses at most the
/// rest of a block, never reuses one.
/// <para>
/// On-disk format: <see cref="FileName"/> in the first log directory, one line of JSON in the shape of Kafka's
/// ZooKeeper producer id block: <c>{"version":1,"broker":B,"block_start":S,"block_end":E}</c> where [S, E] is the
/// last reserved block (inclusive). It is replaced atomically: written to <c>.tmp</c>, fsynced, renamed over the old
/// file, then the directory is fsynced. The next block starts at E + 1.
/// </para>
/// Thread-safe: one lock guards the current block and the file.
/// </summary>
internal sealed class ProducerIdManager
{
    public const string FileName = "producer-id-block";
    public const int BlockSize = 1000;
    private const int CurrentVersion = 1;

    private readonly string _path;
    private readonly string _directory;
    private readonly int _brokerId;
    private readonly Lock _lock = new();
    private long _next;
    private long _blockEnd;

    public ProducerIdManager(string logDir, int brokerId)
    {
        _directory = Path.GetFullPath(logDir);
        _path = Path.Combine(_directory, FileName);
        _brokerId = brokerId;
        long lastEnd = ReadLastBlockEnd(_path);
        // Nothing is reserved yet: the first call reserves the block after the last one on disk.
        _next = lastEnd + 1;
        _blockEnd = lastEnd;
    }

    /// <summary>The next unused producer id; reserves (durably) a new block when the current one is used up.</summary>
    /// <exception cref="IOException">The block file could not be written; no id is handed out.</exception>
    public long GenerateProducerId()
    {
        lock (_lock)
        {
            if (_next > _blockEnd)
            {
                long start = _blockEnd + 1;
                long end = start + BlockSize - 1;
                WriteBlock(start, end);
                _next = start;
                _blockEnd = end;
            }
            return _next++;
        }
    }

    private static long ReadLastBlockEnd(string path)
    {
        if (!File.Exists(path))
        {
            return -1;
        }
        string text = File.ReadAllText(path, Encoding.UTF8);
        try
        {
            using var document = JsonDocument.Parse(text);
            var root = document.RootElement;
            int version = root.GetProperty("version").GetInt32();
            if (version != CurrentVersion)
            {
                throw new InvalidDataException($"{path}: unknown producer id block version {version}");
            }
            long end = root.GetProperty("block_end").GetInt64();
            if (end < -1)
            {
                throw new InvalidDataException($"{path}: invalid block_end {end}");
            }
            return end;
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            throw new InvalidDataException($"{path}: malformed producer id block: {e.Message}", e);
        }
    }

    private void WriteBlock(long start, long end)
    {
        string text = string.Create(CultureInfo.InvariantCulture,
            $"{{\"version\":{CurrentVersion},\"broker\":{_brokerId},\"block_start\":{start},\"block_end\":{end}}}\n");
        string temp = _path + ".tmp";
        using (var stream = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            stream.Write(Encoding.UTF8.GetBytes(text));
            stream.Flush(flushToDisk: true);
        }
        File.Move(temp, _path, overwrite: true);
        // A lost rename would hand the block out again.
        DirectorySync.Sync(_directory);
    }
}
