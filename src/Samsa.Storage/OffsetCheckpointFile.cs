using System.Globalization;
using System.Text;
using Samsa.Protocol;

namespace Samsa.Storage;

/// <summary>
/// A per-log-dir file mapping partitions to an offset, in Kafka's checkpoint format, used for
/// <c>recovery-point-offset-checkpoint</c> and <c>log-start-offset-checkpoint</c>.
/// <para>
/// Format (UTF-8 text, lines ended by '\n'):
/// <code>
/// 0                          the format version
/// 2                          the number of entries that follow
/// orders 0 1520              topic, partition and offset separated by single spaces
/// orders 1 0
/// </code>
/// Topic names contain no spaces (<c>[a-zA-Z0-9._-]</c>), partitions and offsets are non-negative decimals.
/// A writer replaces the file atomically: it writes <c>&lt;name&gt;.tmp</c>, fsyncs it, renames it over the file and
/// fsyncs the directory, so a reader sees either the old or the new file whole. Reading is strict: a wrong version,
/// a count that does not match the lines, or a malformed line is an <see cref="InvalidDataException"/> naming the
/// file and the line; a missing file is an empty checkpoint.
/// </para>
/// Thread-safety: one <see cref="Write"/> at a time per file (the caller serializes); reads may run at any time.
/// </summary>
public sealed class OffsetCheckpointFile
{
    public const string RecoveryPointFileName = "recovery-point-offset-checkpoint";
    public const string LogStartOffsetFileName = "log-start-offset-checkpoint";
    public const int CurrentVersion = 0;

    private const string TempSuffix = ".tmp";

    public OffsetCheckpointFile(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        Path = path;
    }

    public string Path { get; }

    /// <summary>Replaces the file with <paramref name="entries"/>, atomically and durably.</summary>
    public void Write(IEnumerable<KeyValuePair<TopicPartition, long>> entries)
    {
        ArgumentNullException.ThrowIfNull(entries);
        var body = new StringBuilder();
        int count = 0;
        foreach ((TopicPartition topicPartition, long offset) in entries)
        {
            if (topicPartition.Topic.Contains(' ', StringComparison.Ordinal) || topicPartition.Partition < 0 || offset < 0)
            {
                throw new ArgumentException($"Cannot checkpoint {topicPartition} at offset {offset}.", nameof(entries));
            }

            body.Append(CultureInfo.InvariantCulture, $"{topicPartition.Topic} {topicPartition.Partition} {offset}\n");
            count++;
        }

        string text = string.Create(CultureInfo.InvariantCulture, $"{CurrentVersion}\n{count}\n{body}");
        string temp = Path + TempSuffix;
        using (var stream = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            stream.Write(Encoding.UTF8.GetBytes(text));
            stream.Flush(flushToDisk: true);
        }

        File.Move(temp, Path, overwrite: true);
        DirectorySync.Sync(System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(Path))!);
    }

    /// <summary>The entries of the file (empty when it does not exist).</summary>
    /// <exception cref="InvalidDataException">The file is malformed; the message names the file and the line.</exception>
    public Dictionary<TopicPartition, long> Read()
    {
        var result = new Dictionary<TopicPartition, long>();
        string[] lines;
        try
        {
            lines = File.ReadAllText(Path, Encoding.UTF8).Split('\n');
        }
        catch (FileNotFoundException)
        {
            return result;
        }

        // A final '\n' leaves one empty element after the last line.
        int lineCount = lines.Length > 0 && lines[^1].Length == 0 ? lines.Length - 1 : lines.Length;
        if (lineCount < 2)
        {
            throw Malformed(lineCount + 1, "the file ends before the version and entry count");
        }

        if (!int.TryParse(lines[0], NumberStyles.None, CultureInfo.InvariantCulture, out int version) || version != CurrentVersion)
        {
            throw Malformed(1, $"unsupported version '{lines[0]}' (expected {CurrentVersion})");
        }

        if (!int.TryParse(lines[1], NumberStyles.None, CultureInfo.InvariantCulture, out int count))
        {
            throw Malformed(2, $"'{lines[1]}' is not an entry count");
        }

        if (lineCount - 2 != count)
        {
            throw Malformed(Math.Min(lineCount, count + 2) + 1, $"the file has {lineCount - 2} entries, the header says {count}");
        }

        for (int i = 2; i < lineCount; i++)
        {
            string[] fields = lines[i].Split(' ');
            if (fields.Length != 3
                || !LogManager.IsValidTopicName(fields[0])
                || !int.TryParse(fields[1], NumberStyles.None, CultureInfo.InvariantCulture, out int partition)
                || !long.TryParse(fields[2], NumberStyles.None, CultureInfo.InvariantCulture, out long offset))
            {
                throw Malformed(i + 1, $"'{lines[i]}' is not 'topic partition offset'");
            }

            if (!result.TryAdd(new TopicPartition(fields[0], partition), offset))
            {
                throw Malformed(i + 1, $"partition {fields[0]}-{partition} appears twice");
            }
        }

        return result;
    }

    private InvalidDataException Malformed(int line, string reason) =>
        new($"Checkpoint file {Path} is malformed at line {line}: {reason}.");
}
